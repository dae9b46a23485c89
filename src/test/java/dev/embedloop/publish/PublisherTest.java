package dev.embedloop.publish;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.embedloop.events.DocumentValidator;
import dev.embedloop.events.Json;
import dev.embedloop.events.Validation;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class PublisherTest {

    @Test
    void shouldConvertABeirCorpusLineToAValidDocumentEvent() throws Exception {
        Publisher.Line line = Publisher.convert("{\"_id\": \"12\", \"title\": \"flow\", \"text\": \"boundary layer\"}");

        assertThat(line.id()).isEqualTo("12");
        JsonNode value = Json.MAPPER.readTree(line.value());
        assertThat(value.get("id").asText()).isEqualTo("12");
        assertThat(value.has("_id")).isFalse();
        Validation v = new DocumentValidator(1000).validate("12".getBytes(StandardCharsets.UTF_8), line.value());
        assertThat(v).isInstanceOf(Validation.Valid.class);
    }

    @Test
    void shouldPassEmbedloopEventsThrough() throws Exception {
        Publisher.Line line = Publisher.convert("{\"id\": \"a\", \"text\": \"t\", \"version\": 3, \"metadata\": {\"k\": 1}}");
        assertThat(line.id()).isEqualTo("a");
        JsonNode value = Json.MAPPER.readTree(line.value());
        assertThat(value.get("version").asLong()).isEqualTo(3);
        assertThat(value.get("metadata").get("k").asInt()).isEqualTo(1);
    }

    @Test
    void shouldReadAFirstLineWithAByteOrderMark() throws Exception {
        String first = Publisher.withoutByteOrderMark("\ufeff{\"_id\": \"1\", \"text\": \"t\"}");
        assertThat(Publisher.convert(first).id()).isEqualTo("1");
        assertThat(Publisher.withoutByteOrderMark("{\"_id\": \"1\"}")).isEqualTo("{\"_id\": \"1\"}");
        assertThatThrownBy(() -> Publisher.convert("\ufeff{\"_id\": \"1\", \"text\": \"t\"}")).hasMessageContaining("JSON");
    }

    @Test
    void shouldRefuseLinesWithoutAnId() {
        assertThatThrownBy(() -> Publisher.convert("{\"text\": \"t\"}")).hasMessageContaining("id");
        assertThatThrownBy(() -> Publisher.convert("not json")).hasMessageContaining("JSON");
    }
}

package dev.embedloop.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.embedloop.testing.TestData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The monitoring files of the compose stack parse and agree with each other: Prometheus scrapes the
 * default management port of every long-running command, Grafana's provisioned datasource is the one
 * the dashboard's panels name, and every panel has a query. (Which metric names the queries use is
 * checked against real scrapes in {@code MetricsEndToEndIT}.)
 */
class DeployConfigTest {

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path DEPLOY = TestData.projectRoot().resolve("deploy");

    @Test
    void prometheusScrapesEveryServiceOnItsManagementPort() throws Exception {
        JsonNode config = YAML.readTree(Files.readString(DEPLOY.resolve("prometheus/prometheus.yml")));
        List<String> targets = new ArrayList<>();
        for (JsonNode job : config.get("scrape_configs")) {
            assertThat(job.get("job_name").asText()).isNotBlank();
            for (JsonNode stat : job.get("static_configs")) {
                stat.get("targets").forEach(t -> targets.add(t.asText()));
            }
        }
        assertThat(targets).contains("embedloop:" + ManagementSettings.INDEX_PORT, "search:" + ManagementSettings.SERVE_PORT,
                "feedback:" + ManagementSettings.FEEDBACK_PORT, "trainer:" + ManagementSettings.TRAIN_PORT);
    }

    @Test
    void theDashboardParsesAndQueriesTheProvisionedDatasource() throws Exception {
        JsonNode datasources = YAML.readTree(Files.readString(DEPLOY.resolve("grafana/provisioning/datasources/prometheus.yml")));
        String uid = datasources.get("datasources").get(0).get("uid").asText();
        JsonNode provider = YAML.readTree(Files.readString(DEPLOY.resolve("grafana/provisioning/dashboards/embedloop.yml")));
        assertThat(provider.get("providers").get(0).get("options").get("path").asText()).isEqualTo("/var/lib/grafana/dashboards");

        JsonNode dashboard = JSON.readTree(Files.readString(DEPLOY.resolve("grafana/dashboards/embedloop.json")));
        assertThat(dashboard.get("uid").asText()).isEqualTo("embedloop");
        List<String> titles = new ArrayList<>();
        for (JsonNode panel : dashboard.get("panels")) {
            if (panel.get("type").asText().equals("row")) {
                continue;
            }
            titles.add(panel.get("title").asText());
            assertThat(panel.get("datasource").get("uid").asText()).as(panel.get("title").asText()).isEqualTo(uid);
            assertThat(panel.get("targets")).as(panel.get("title").asText()).isNotEmpty();
            for (JsonNode target : panel.get("targets")) {
                assertThat(target.get("expr").asText()).as(panel.get("title").asText()).isNotBlank();
                assertThat(target.get("datasource").get("uid").asText()).isEqualTo(uid);
            }
        }
        assertThat(titles).contains("Indexing throughput (documents/s)", "Consumer lag (records)", "Dead letters by class",
                "Search latency", "Model versions", "Gate decisions");
    }
}

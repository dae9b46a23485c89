# Embedloop image: build with Maven, run on a JRE as a non-root user.
#   docker build -t embedloop:0.1.0 .
# The heap follows the container's memory limit (MaxRAMPercentage); JAVA_TOOL_OPTIONS replaces the default
# below (e.g. JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=60" or "-Xmx768m").
FROM maven:3.9.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY pom.xml .
RUN mvn -q -B dependency:go-offline
COPY src src
RUN mvn -q -B -DskipTests package
# unpack the bundled models and DJL's tokenizer library once, at build time, into the directories the image
# reads them from (BundledModels names each model copy after the jar entries' sizes and CRCs, so this copy is
# the one used at run time; DJL finds its library in DJL_CACHE_DIR and extracts nothing)
RUN printf '%s\n' \
      'public class Unpack {' \
      '  public static void main(String[] args) throws Exception {' \
      '    for (String name : dev.embedloop.encode.BundledModels.NAMES) {' \
      '      var dir = dev.embedloop.encode.BundledModels.resolveModel(name);' \
      '      try (var t = ai.djl.huggingface.tokenizers.HuggingFaceTokenizer.newInstance(dir.tokenizerFile())) {' \
      '        System.out.println(dir.root());' \
      '      }' \
      '    }' \
      '  }' \
      '}' > /tmp/Unpack.java \
 && DJL_CACHE_DIR=/src/target/djl-cache OPT_OUT_TRACKING=true \
    java -Dembedloop.model.cache=/src/target/model-cache -cp "target/embedloop.jar:target/lib/*" /tmp/Unpack.java

FROM eclipse-temurin:17.0.13_11-jre
# curl for the healthchecks (GET /ready on the management port)
RUN apt-get update \
 && apt-get install -y --no-install-recommends curl \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 embedloop \
 && useradd --system --uid 10001 --gid embedloop --home-dir /home/embedloop --create-home --shell /usr/sbin/nologin embedloop \
 && mkdir -p /data /models \
 && chown embedloop:embedloop /data /models
WORKDIR /app
COPY --from=build /src/target/lib /app/lib
COPY --from=build /src/target/embedloop.jar /app/embedloop.jar
COPY --from=build /src/target/model-cache /app/model-cache
COPY --from=build --chown=embedloop:embedloop /src/target/djl-cache /app/djl-cache
ENV EMBEDLOOP_KAFKA_STATE_DIR=/data/kafka-streams \
    EMBEDLOOP_TRAIN_MODEL_STORE=/data/models \
    DJL_CACHE_DIR=/app/djl-cache \
    JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=75 -XX:+ExitOnOutOfMemoryError"
USER embedloop:embedloop
VOLUME /data
# management ports: 9401 index, 9402 serve, 9403 feedback, 9404 train; 8080 search
EXPOSE 8080 9401 9402 9403 9404
ENTRYPOINT ["java", "-Dembedloop.model.cache=/app/model-cache", "-jar", "/app/embedloop.jar"]
CMD ["index"]

# Embedloop image: build with Maven, run on a JRE. The model files are unpacked at build time.
FROM maven:3.9.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY pom.xml .
RUN mvn -q -B dependency:go-offline
COPY src src
RUN mvn -q -B -DskipTests package

FROM eclipse-temurin:17.0.13_11-jre
WORKDIR /app
COPY --from=build /src/target/embedloop.jar /app/embedloop.jar
COPY --from=build /src/target/lib /app/lib
ENV EMBEDLOOP_KAFKA_STATE_DIR=/data/kafka-streams
VOLUME /data
ENTRYPOINT ["java", "-Xmx2g", "-jar", "/app/embedloop.jar"]
CMD ["index"]

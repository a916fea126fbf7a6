# The apikeys worker, built from this repository. Used by docker-compose.yml.
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY pom.xml .
COPY workflows/pom.xml workflows/
COPY activities/pom.xml activities/
COPY worker/pom.xml worker/
RUN mvn -B -q -ntp dependency:go-offline -DexcludeArtifactIds=apikeys-workflows,apikeys-activities || true
COPY . .
# The worker runs for days: the command line's start-up archive (see bin/apikeys) is not needed.
RUN mvn -B -q -ntp -DskipTests -Dapikeys.cds.skip=true package

FROM eclipse-temurin:17-jre
RUN useradd --system --uid 10001 apikeys
COPY --from=build /src/worker/target/apikeys.jar /app/apikeys.jar
USER apikeys
ENTRYPOINT ["java", "-jar", "/app/apikeys.jar"]
CMD ["worker"]

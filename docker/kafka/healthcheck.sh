#!/bin/bash
# Healthy when the broker answers an ApiVersions request on its own listener.
exec java -Xmx64m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Dlog4j2.configurationFile=/opt/kafka/bin/log4j2.properties \
  -cp '/opt/kafka/libs/*' org.apache.kafka.tools.BrokerApiVersionsCommand \
  --bootstrap-server "127.0.0.1:${KAFKA_PORT:-9092}" >/dev/null 2>&1

package electra.infra.kafka;

/** Starts the LocalKafka job in its own JVM the way the launcher does: run, then System.exit. */
public final class LocalKafkaMain {
  private LocalKafkaMain() {}

  public static void main(String[] args) throws Exception {
    new LocalKafka().run(args);
    System.exit(0);
  }
}

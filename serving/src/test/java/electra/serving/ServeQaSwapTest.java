package electra.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import electra.cli.Overwrite;
import electra.export.ModelEvaluation;
import electra.export.ModelRepository;
import electra.export.QaHead;
import electra.infra.kafka.EmbeddedKafka;
import electra.squad.AnswerDecoder;
import electra.squad.SquadVersion;
import electra.tokenization.Vocabulary;
import electra.trainer.export.ExportModel;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ServeQA on a model repository with two subtasks over a two-partition topic: two versions published by ExportModel
 * while a client sends SQuAD questions at a steady pace are swapped in without an error or a lost request, and no
 * partition's answers go back to an older version.
 */
class ServeQaSwapTest {

  /** Versions 2 and 3 are published while the client sends. */
  private static final long LAST_VERSION = 3;

  @TempDir
  Path tmp;

  @Test
  void swapsInTwoNewVersionsWhileTwoSubtasksAnswer() throws Exception {
    Path vocab = TestModels.shared("data/vocab/bert-base-uncased-vocab.txt");
    ModelRepository repository = ModelRepository.at(tmp.resolve("models"), "tiny-qa");
    TestModels.publishCopy(repository);
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      kafka.createTopics(2, "qa-requests", "qa-answers", "qa-errors");
      String bootstrap = kafka.bootstrapServers();
      try (ServeQA.Running job = ServeQA.start(ServeQATest.options("--model=" + repository.dir(),
              "--bootstrap_servers=" + bootstrap, "--parallelism=2", "--poll_interval_s=1", "--max_batch_size=4",
              "--group_id=swap-test", "--from_beginning"), new PrintStream(log, true, StandardCharsets.UTF_8));
          KafkaProducer<byte[], byte[]> producer = ServeQATest.producer(bootstrap);
          KafkaConsumer<String, String> answers = ServeQATest.consumer(bootstrap, "qa-answers");
          KafkaConsumer<String, String> errors = ServeQATest.consumer(bootstrap, "qa-errors")) {
        assertTrue(log.toString(StandardCharsets.UTF_8).contains("version 1, newer versions every 1 s"),
            log.toString(StandardCharsets.UTF_8));
        Map<Integer, Integer> partitionOf = new HashMap<>();
        Map<Integer, Long> versionOf = new TreeMap<>();
        List<Long> published = new ArrayList<>();
        long newest = 1;
        CompletableFuture<ModelRepository.Version> publishing = null;
        int sent = 0;
        long deadline = System.nanoTime() + Duration.ofSeconds(300).toNanos();
        // A steady stream until the last version has answered 20 requests, then until every request is answered;
        // each new version is published once the newest one has answered 20.
        while (answeredBy(versionOf, LAST_VERSION) < 20 || versionOf.size() < sent) {
          assertTrue(System.nanoTime() < deadline, "answered " + versionOf.size() + " of " + sent + " requests, "
              + "versions " + versionOf.values().stream().distinct().toList() + "\n" + log);
          if (answeredBy(versionOf, LAST_VERSION) < 20) {
            RecordMetadata m = producer.send(new ProducerRecord<>("qa-requests",
                ("req-" + sent).getBytes(StandardCharsets.UTF_8), ServeQATest.request(sent))).get();
            partitionOf.put(sent, m.partition());
            sent++;
          }
          for (ConsumerRecord<String, String> r : ServeQATest.poll(answers, 1, Duration.ofMillis(50))) {
            ServeQATest.checkAnswer(r);
            int id = Integer.parseInt(r.key().substring("req-".length()));
            long version = QaMessages.read(r.value()).get("model_version").asLong();
            Long before = versionOf.put(id, version);
            assertTrue(before == null || before == version, "a request answered again by another version");
          }
          if (publishing != null && publishing.isDone()) {
            newest = publishing.join().number();
            published.add(newest);
            publishing = null;
          }
          if (publishing == null && newest < LAST_VERSION && answeredBy(versionOf, newest) >= 20) {
            // a version from ExportModel itself, the loop's publisher, while requests stream in
            publishing = CompletableFuture.supplyAsync(() -> {
              try {
                return ExportModel.publish(TestModels.golden(), Vocabulary.load(vocab), repository,
                    new ExportModel.Settings(TestModels.MAX_SEQ_LENGTH, 32, 24, true, 100, QaHead.SIMPLE, 0,
                        AnswerDecoder.Options.defaults(SquadVersion.V1_1)),
                    ModelEvaluation.unevaluated("", -1, "ServeQaSwapTest"));
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            });
          }
          Thread.sleep(20);
        }
        assertEquals(List.of(), ServeQATest.poll(errors, 1, Duration.ofMillis(500)), "no request failed");
        for (int p = 0; p < 2; p++) {
          long last = 0;
          int count = 0;
          for (Map.Entry<Integer, Long> e : versionOf.entrySet()) {
            if (partitionOf.get(e.getKey()) == p) {
              assertTrue(e.getValue() >= last, "partition " + p + " went back from version " + last + " to "
                  + e.getValue() + " at req-" + e.getKey());
              last = e.getValue();
              count++;
            }
          }
          assertTrue(count > 0 && last == LAST_VERSION, "partition " + p + ": " + count + " answers, the last by "
              + "version " + last);
        }
        assertEquals(List.of(2L, 3L), published);
        System.out.printf("ServeQA swaps: %d requests over 2 partitions, answered by versions 1, 2, 3: %d, %d, %d%n",
            sent, answeredBy(versionOf, 1), answeredBy(versionOf, 2), answeredBy(versionOf, 3));
        assertTrue(answeredBy(versionOf, 1) >= 20 && answeredBy(versionOf, 2) >= 20, "answers before each swap");
        assertEquals(LAST_VERSION, job.model().version(), "the subtasks share the process's model");
      }
    }
  }

  private static long answeredBy(Map<Integer, Long> versionOf, long version) {
    return versionOf.values().stream().filter(v -> v == version).count();
  }
}

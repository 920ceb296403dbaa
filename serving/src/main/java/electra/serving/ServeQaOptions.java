package electra.serving;

import electra.export.InferenceEngine;
import java.util.List;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.Validation;

/** The flags of {@link ServeQA}, in snake case on the command line ({@code --max_batch_size=16}). */
public interface ServeQaOptions extends PipelineOptions {

  /** {@code --poll_interval_s}'s default. */
  int DEFAULT_POLL_INTERVAL_S = 30;

  @Description("What to serve: an export folder (ExportModel --output_dir), or a model repository's model folder "
      + "<models>/<name> (ExportModel --models --name): its newest version, swapped for newer ones as they appear")
  @Validation.Required
  String getModel();

  void setModel(String value);

  @Description("With a model repository: seconds between looks for a newer version")
  @Default.Integer(DEFAULT_POLL_INTERVAL_S)
  int getPollIntervalS();

  void setPollIntervalS(int value);

  @Description("With a model repository: serve this version only and never swap (pin, roll back); 0: the newest")
  @Default.Long(0)
  long getModelVersion();

  void setModelVersion(long value);

  @Description("What runs the model: tensorflow (the export's SavedModel), onnxruntime (its model.onnx), or auto: "
      + "onnxruntime when the export has a model.onnx, else tensorflow, decided for each version a repository serves")
  @Default.Enum("AUTO")
  InferenceEngine getEngine();

  void setEngine(InferenceEngine value);

  @Description("The model name written into each answer; default: the --model folder's name (a repository's <name>)")
  String getModelName();

  void setModelName(String value);

  @Description("Kafka brokers, host:port[,host:port]; none: start a broker in this process and create the topics")
  String getBootstrapServers();

  void setBootstrapServers(String value);

  @Description("Client port of the in-process broker when --bootstrap_servers is not given; 0: any free port")
  @Default.Integer(0)
  int getEmbeddedKafkaPort();

  void setEmbeddedKafkaPort(int value);

  @Description("Topic the questions arrive on")
  @Default.String("qa-requests")
  String getRequestsTopic();

  void setRequestsTopic(String value);

  @Description("Topic the answers go to, keyed by request id")
  @Default.String("qa-answers")
  String getAnswersTopic();

  void setAnswersTopic(String value);

  @Description("Topic for requests that cannot be answered: {\"id\", \"error\"}")
  @Default.String("qa-errors")
  String getErrorsTopic();

  void setErrorsTopic(String value);

  @Description("A new consumer group starts at the beginning of the requests topic, answering its whole history, "
      + "instead of at its end (requests sent from now on); a group with committed offsets goes on from them either "
      + "way")
  @Default.Boolean(false)
  boolean getFromBeginning();

  void setFromBeginning(boolean value);

  @Description("Port of a Prometheus endpoint, http://<host>:<port>/metrics, exporting the job's metrics through "
      + "Flink's Prometheus reporter (embedded Flink only: a cluster's reporters are set in its Flink configuration); "
      + "0: none")
  @Default.Integer(0)
  int getMetricsPort();

  void setMetricsPort(int value);

  @Description("Kafka consumer group; a restarted job with the same group goes on after the last checkpoint")
  @Default.String("electra-serve-qa")
  String getGroupId();

  void setGroupId(String value);

  @Description("A Kafka client property key=value for the consumer and the producers (SASL, TLS, ...); "
      + "repeat the flag or separate with commas")
  List<String> getKafkaProperty();

  void setKafkaProperty(List<String> value);

  @Description("Most questions answered by one model run (windows of long contexts count separately)")
  @Default.Integer(16)
  int getMaxBatchSize();

  void setMaxBatchSize(int value);

  @Description("Longest a question waits for others to share its model run, in milliseconds")
  @Default.Integer(10)
  int getMaxBatchWaitMs();

  void setMaxBatchWaitMs(int value);

  @Description("Write answers with KafkaIO's exactly-once sink: refused for now, it fails on the Flink 1.19 runner "
      + "(ServeQA delivers at least once, answers keyed by request id)")
  @Default.Boolean(false)
  boolean getExactlyOnce();

  void setExactlyOnce(boolean value);

  @Description("Longest question, in characters")
  @Default.Integer(1000)
  int getMaxQuestionChars();

  void setMaxQuestionChars(int value);

  @Description("Longest question, in WordPieces; 0: the model's max_query_length")
  @Default.Integer(0)
  int getMaxQuestionTokens();

  void setMaxQuestionTokens(int value);

  @Description("Longest context, in characters")
  @Default.Integer(20000)
  int getMaxContextChars();

  void setMaxContextChars(int value);

  @Description("Most windows a long context may be cut into")
  @Default.Integer(16)
  int getMaxWindows();

  void setMaxWindows(int value);
}

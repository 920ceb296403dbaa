package electra.trainer.model;

import java.util.Optional;
import java.util.Set;

/**
 * The one place that translates the graph's variable names (Google's released-checkpoint names) into Hugging
 * Face parameter names ({@code modeling_electra.py}), following Hugging Face's own converter
 * ({@code load_tf_weights_in_electra}). A Hugging Face folder holds one tower, so the translation depends on which:
 *
 * <pre>
 * Google variable                                      Hugging Face parameter                         tower
 * electra/embeddings/word_embeddings                   electra.embeddings.word_embeddings.weight      both (shared)
 * electra/embeddings/position_embeddings               electra.embeddings.position_embeddings.weight  both
 * electra/embeddings/token_type_embeddings             electra.embeddings.token_type_embeddings.weight both
 * electra/embeddings/LayerNorm/{gamma,beta}            electra.embeddings.LayerNorm.{weight,bias}     both
 * T/embeddings_project/{kernel,bias}                   electra.embeddings_project.{weight,bias}       T
 * T/encoder/layer_I/attention/self/query/kernel        electra.encoder.layer.I.attention.self.query.weight  T
 *   (likewise key, value, attention/output/dense, attention/output/LayerNorm, intermediate/dense, output/dense,
 *    output/LayerNorm)
 * discriminator_predictions/dense/{kernel,bias}        discriminator_predictions.dense.{weight,bias}  discriminator
 * discriminator_predictions/dense_1/{kernel,bias}      discriminator_predictions.dense_prediction.*   discriminator
 * qa_outputs/{kernel,bias}                             qa_outputs.{weight,bias}                       discriminator
 * task_specific/squad/...  (joint SQuAD head)          none: not part of any Hugging Face folder      -
 * generator_predictions/dense/{kernel,bias}            generator_predictions.dense.{weight,bias}      generator
 * generator_predictions/LayerNorm/{gamma,beta}         generator_predictions.LayerNorm.{weight,bias}  generator
 * generator_predictions/output_bias                    generator_lm_head.bias                         generator
 * </pre>
 *
 * where T is {@code electra} for the discriminator ({@code ElectraForPreTraining}, {@code
 * ElectraForQuestionAnswering}) and {@code generator} for the generator ({@code ElectraForMaskedLM}): in both
 * Hugging Face models the tower is called {@code electra}. Leaves: {@code kernel} -> {@code weight} transposed
 * (TensorFlow stores [in, out], PyTorch [out, in]), {@code gamma} -> {@code weight}, {@code beta} -> {@code bias},
 * an {@code *_embeddings} table -> {@code <table>.weight} as is.
 */
public final class WeightNames {

  /** A variable's name in a Hugging Face file and whether its matrix is stored transposed there. */
  public record HfName(String name, boolean transposed) {}

  /** Hugging Face's tied generator output layer: the word-embedding table again, when a file stores it at all. */
  public static final String TIED_GENERATOR_OUTPUT = "generator_lm_head.weight";

  /** Buffers some Hugging Face versions save with the weights; they are not parameters. */
  public static final Set<String> BUFFERS = Set.of("electra.embeddings.position_ids",
      "electra.embeddings.token_type_ids");

  /** Hugging Face's bare {@code ElectraModel} saves its tower without the {@code electra.} prefix. */
  private static final String HF_TOWER = "electra";

  private WeightNames() {}

  /**
   * The Hugging Face name of a graph variable in a folder holding {@code tower}, or empty when the variable is not
   * part of that folder (the other tower, or the other tower's head).
   */
  public static Optional<HfName> toHuggingFace(String google, Tower tower) {
    if (google.startsWith(JointSpanHead.SCOPE + "/")) {
      return Optional.empty(); // Google's joint SQuAD head has no Hugging Face counterpart
    }
    if (google.equals(GeneratorHead.SCOPE + "/output_bias")) {
      return only(tower, Tower.GENERATOR, new HfName("generator_lm_head.bias", false));
    }
    int slash = google.lastIndexOf('/');
    if (slash < 0) {
      throw new IllegalArgumentException("'" + google + "' is not an ELECTRA variable name");
    }
    String module = google.substring(0, slash);
    String leaf = google.substring(slash + 1);

    String hfModule;
    Tower owner;
    if (module.equals(Embeddings.SCOPE) || module.startsWith(Embeddings.SCOPE + "/")) {
      hfModule = dotted(module);
      owner = tower;
    } else if (module.startsWith(Tower.DISCRIMINATOR.scope + "/")) {
      hfModule = HF_TOWER + "." + dotted(module.substring(Tower.DISCRIMINATOR.scope.length() + 1));
      owner = Tower.DISCRIMINATOR;
    } else if (module.startsWith(Tower.GENERATOR.scope + "/")) {
      hfModule = HF_TOWER + "." + dotted(module.substring(Tower.GENERATOR.scope.length() + 1));
      owner = Tower.GENERATOR;
    } else if (module.equals(DiscriminatorHead.SCOPE + "/dense_1")) {
      hfModule = DiscriminatorHead.SCOPE + ".dense_prediction";
      owner = Tower.DISCRIMINATOR;
    } else if (module.startsWith(DiscriminatorHead.SCOPE + "/") || module.equals(SpanHead.SCOPE)) {
      hfModule = dotted(module);
      owner = Tower.DISCRIMINATOR;
    } else if (module.startsWith(GeneratorHead.SCOPE + "/")) {
      hfModule = dotted(module);
      owner = Tower.GENERATOR;
    } else {
      throw new IllegalArgumentException("no Hugging Face name is known for variable '" + google + "'");
    }

    HfName name = switch (leaf) {
      case "kernel" -> new HfName(hfModule + ".weight", true);
      case "bias", "beta" -> new HfName(hfModule + ".bias", false);
      case "gamma" -> new HfName(hfModule + ".weight", false);
      default -> {
        if (!leaf.endsWith("_embeddings")) {
          throw new IllegalArgumentException("no Hugging Face name is known for variable '" + google + "'");
        }
        yield new HfName(hfModule + "." + leaf + ".weight", false);
      }
    };
    return only(tower, owner, name);
  }

  /** A file name as the {@code electra.}-prefixed name the table above uses (bare {@code ElectraModel} files). */
  public static String withTowerPrefix(String hfName) {
    boolean bare = hfName.startsWith("embeddings.") || hfName.startsWith("embeddings_project.")
        || hfName.startsWith("encoder.");
    return bare ? HF_TOWER + "." + hfName : hfName;
  }

  private static Optional<HfName> only(Tower wanted, Tower owner, HfName name) {
    return wanted == owner ? Optional.of(name) : Optional.empty();
  }

  /** {@code encoder/layer_3/attention/self} -> {@code encoder.layer.3.attention.self}. */
  private static String dotted(String googlePath) {
    return googlePath.replaceAll("(^|/)layer_(\\d+)(?=/|$)", "$1layer/$2").replace('/', '.');
  }
}

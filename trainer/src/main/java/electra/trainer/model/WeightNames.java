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
 * classifier/{dense,out_proj}/{kernel,bias}            classifier.{dense,out_proj}.{weight,bias}      discriminator
 * classifier/{kernel,bias}  (token classification)     classifier.{weight,bias}                       discriminator
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
 *
 * <p>NVIDIA's TF2 pre-training checkpoints ({@code DeepLearningExamples/TensorFlow2/LanguageModeling/ELECTRA}) hold
 * both towers of one Keras model, found by object path: the attribute names from the checkpoint's root through
 * NVIDIA's classes ({@code PretrainingModel} -> {@code TFElectraForPreTraining} / {@code TFElectraForMaskedLM} ->
 * {@code TFElectraMainLayer} -> ...) down to the variable. {@link #toNvidiaObjectPath} translates:
 *
 * <pre>
 * Google variable                               NVIDIA object path
 * electra/embeddings/word_embeddings            model/discriminator/electra/embeddings/word_embeddings
 * electra/embeddings/position_embeddings        model/discriminator/electra/embeddings/position_embeddings/embeddings
 *   (likewise token_type_embeddings; LayerNorm/{gamma,beta} keep their names)
 * T/embeddings_project/{kernel,bias}            model/N/electra/embeddings_project/{kernel,bias}
 * T/encoder/layer_I/attention/self/query/kernel model/N/electra/encoder/layer/I/attention/self_attention/query/kernel
 * T/encoder/layer_I/attention/output/...        model/N/electra/encoder/layer/I/attention/dense_output/...
 * T/encoder/layer_I/intermediate/dense/...      model/N/electra/encoder/layer/I/intermediate/dense/...
 * T/encoder/layer_I/output/...                  model/N/electra/encoder/layer/I/bert_output/...
 * discriminator_predictions/dense/...           model/discriminator/discriminator_predictions/dense/...
 * discriminator_predictions/dense_1/...         model/discriminator/discriminator_predictions/dense_prediction/...
 * generator_predictions/{dense,LayerNorm}/...   model/generator/generator_predictions/{dense,LayerNorm}/...
 * generator_predictions/output_bias             model/generator/generator_lm_head/bias
 * </pre>
 *
 * where N is {@code discriminator} for T = {@code electra} and {@code generator} for T = {@code generator}. The
 * shared embeddings are reachable from both towers; the discriminator's path is the one listed.
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
    } else if (module.startsWith(DiscriminatorHead.SCOPE + "/") || module.equals(SpanHead.SCOPE)
        || module.startsWith(ClassificationHead.SCOPE + "/") || module.equals(TokenClassificationHead.SCOPE)) {
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

  /**
   * The object path of a graph variable in NVIDIA's TF2 pre-training checkpoint (table above). The QA heads have
   * none: NVIDIA's pre-training model holds no QA head.
   */
  public static String toNvidiaObjectPath(String google) {
    String nvidiaModel = "model/";
    if (google.equals(GeneratorHead.SCOPE + "/output_bias")) {
      return nvidiaModel + "generator/generator_lm_head/bias";
    }
    if (google.startsWith(GeneratorHead.SCOPE + "/")) {
      return nvidiaModel + "generator/" + google;
    }
    if (google.startsWith(DiscriminatorHead.SCOPE + "/")) {
      return nvidiaModel + "discriminator/" + google.replace("/dense_1/", "/dense_prediction/");
    }
    String towerPath;
    String inTower;
    if (google.startsWith(Tower.DISCRIMINATOR.scope + "/")) {
      towerPath = nvidiaModel + "discriminator/electra/";
      inTower = google.substring(Tower.DISCRIMINATOR.scope.length() + 1);
    } else if (google.startsWith(Tower.GENERATOR.scope + "/")) {
      towerPath = nvidiaModel + "generator/electra/";
      inTower = google.substring(Tower.GENERATOR.scope.length() + 1);
    } else {
      throw new IllegalArgumentException("no NVIDIA name is known for variable '" + google + "'");
    }
    String nvidia = inTower
        .replaceFirst("^encoder/layer_(\\d+)/", "encoder/layer/$1/")
        .replaceFirst("/attention/self/", "/attention/self_attention/")
        .replaceFirst("/attention/output/", "/attention/dense_output/")
        .replaceFirst("^(encoder/layer/\\d+)/output/", "$1/bert_output/")
        .replaceFirst("^embeddings/(position|token_type)_embeddings$", "$0/embeddings");
    return towerPath + nvidia;
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

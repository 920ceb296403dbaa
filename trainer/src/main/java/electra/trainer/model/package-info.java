/**
 * ELECTRA in TensorFlow Java graph mode: one class per part, variables named as in Google's released checkpoints.
 *
 * <p>A pre-training graph is put together from the parts; the shared embeddings are shared by passing the same
 * {@link electra.trainer.model.Embeddings} to both towers:
 *
 * <pre>{@code
 * ModelGraph g = ModelGraph.training(graph, seed);              // or ModelGraph.inference(graph): no dropout ops
 * Inputs in = Inputs.placeholders(g.tf());                      // int32 [B, T]: input_ids, input_mask, segment_ids
 * Embeddings emb = new Embeddings(g, discConfig);               // electra/embeddings/*
 * Encoder generator = new Encoder(g, Tower.GENERATOR, genConfig, emb);        // generator/...
 * Encoder discriminator = new Encoder(g, Tower.DISCRIMINATOR, discConfig, emb); // electra/...
 * GeneratorHead mlm = new GeneratorHead(g, genConfig, emb);     // generator_predictions/*, tied to the word table
 * DiscriminatorHead rtd = new DiscriminatorHead(g, discConfig); // discriminator_predictions/*
 *
 * Operand<TFloat32> genHidden = generator.apply(maskedIds, in.inputMask(), in.segmentIds());   // [B, T, Hg]
 * Operand<TFloat32> mlmLogits = mlm.logits(rowsAtMaskedPositions(genHidden));                  // [N, V]
 * Operand<TFloat32> rtdLogits = rtd.logits(discriminator.apply(fakeIds, in.inputMask(), in.segmentIds())); // [B, T]
 * }</pre>
 *
 * <p>{@link electra.trainer.model.ModelGraph#parameters()} lists every variable (name, variable op, value) for
 * gradients, optimizer slots and weight-decay rules; {@link electra.trainer.model.HuggingFaceWeights} loads and saves
 * one tower as a Hugging Face folder; {@link electra.trainer.model.WeightNames} is the name mapping.
 */
package electra.trainer.model;

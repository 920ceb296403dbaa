/**
 * What every training job shares, whichever model it trains: the optimizer graph (LAMB or AdamW, accumulation,
 * clipping, loss scaling), the learning-rate schedule, checkpoint folders and the data position they record, the
 * TensorFlow session settings (threads, mixed precision, XLA) and the outputs people watch (TensorBoard event files,
 * the loss-curve PNG). Pre-training ({@code electra.trainer.pretrain}), fine-tuning, export and postprocessing use
 * it; it uses only the model parts ({@code electra.trainer.model}).
 */
package electra.trainer.runtime;

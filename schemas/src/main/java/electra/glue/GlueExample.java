package electra.glue;

/**
 * One row of a GLUE split: its index (the row number after the header, as GLUE's submission files count), the
 * text or the two texts of a pair ({@code textB} null for single-sentence tasks) and the label as the file spells
 * it (null in a test split).
 */
public record GlueExample(int index, String textA, String textB, String label) {}

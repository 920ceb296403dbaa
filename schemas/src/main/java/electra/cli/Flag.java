package electra.cli;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Declares the command-line flag that fills a record component: its help text, its default and (when it is not the
 * component's name in snake case) its name. {@link Flags#record} reads these, so a setting is written once, beside
 * the value it becomes. The flag's type follows the component's: text ({@code String}, {@code Path}, an enum, a
 * {@code List<String>} of comma-separated words, or a type with its own {@code static T parse(String)}), integer
 * ({@code int}, {@code long}), decimal ({@code double}) or boolean.
 *
 * <p>A record component without this annotation is either a nested record whose own components are flags, or a value
 * the record derives from its flags in its compact constructor (it receives null).
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.RECORD_COMPONENT)
public @interface Flag {

  /** What {@code --help} says of the flag, in one line. */
  String value();

  /** The default as a user would type it; none when left out (the component is then null unless given). */
  String defaultValue() default NONE;

  /** The flag's name when it is not the component's name in snake case. */
  String name() default "";

  /** The job refuses to run without it. */
  boolean required() default false;

  /**
   * The values it takes, as typed, when they are fewer than its type allows (some of an enum's constants): {@code
   * --help} lists these instead of every constant, and any other value is refused as an unknown one is.
   */
  String[] choices() default {};

  /** No default. */
  String NONE = "\0";
}

// `mvn exec:java -Dpipeline=NAME -Dexec.args="..."` lands here (profile "run-pipeline" in the root pom):
// hand the command over to ./electra, which builds when sources changed and runs the job in its own JVM.
def root = args[0]
def command = ["${root}/electra".toString()] + (args.length > 1 ? args[1..-1].toList() : [])
System.exit(new ProcessBuilder(command).inheritIO().start().waitFor())

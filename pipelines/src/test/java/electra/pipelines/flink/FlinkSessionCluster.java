package electra.pipelines.flink;

import java.util.concurrent.CountDownLatch;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;

/**
 * A Flink 1.19 session cluster in a JVM of its own, from the Maven artifacts: a JobManager with its REST endpoint
 * (the address {@code --flink_master} takes) and one TaskManager with {@code args[0]} slots. Prints
 * {@code REST port N} once jobs can be submitted; runs until killed.
 */
public final class FlinkSessionCluster {

  public static void main(String[] args) throws Exception {
    int slots = args.length > 0 ? Integer.parseInt(args[0]) : 2;
    Configuration conf = new Configuration();
    conf.set(RestOptions.BIND_PORT, "0");
    conf.set(TaskManagerOptions.NUM_TASK_SLOTS, slots);
    MiniCluster cluster = new MiniCluster(new MiniClusterConfiguration.Builder().setConfiguration(conf)
        .setNumTaskManagers(1).setNumSlotsPerTaskManager(slots).build());
    cluster.start();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        cluster.close();
      } catch (Exception e) {
        // exiting anyway
      }
    }));
    System.out.println("REST port " + cluster.getRestAddress().get().getPort());
    System.out.flush();
    new CountDownLatch(1).await();
  }
}

"""The cfpipe nightly run as an Airflow DAG: one SparkSubmitOperator per stage, run date {{ ds }}.

Safe to retry: every stage reads and writes only its run date's folders
(OUTPUT/_work/run_date=DATE/...), and export publishes OUTPUT/run_date=DATE/model=NAME whole
(rename, then _SUCCESS), so a retried or re-run date replaces its output exactly and a failed one
leaves nothing visible. Backfilled dates do not move OUTPUT/_latest, which names the newest date.

Nights depend on each other: a night extends the id maps of the newest earlier committed night
(cfpipe.ids.previous = auto) and, with cfpipe.train.warm-start = auto, starts from its model. So
nights run one at a time and in date order (max_active_runs=1, catch-up in date order), and each
task waits for its own previous night to have succeeded (depends_on_past). A night whose previous
night started but did not commit fails in encode, naming it, instead of extending an older map
(the encode stage refuses; docs/operations.md): clear the failed night, let it finish, then clear
the nights after it.

Set up (Airflow 2 with apache-airflow-providers-apache-spark):
  - a Spark connection "spark_cfpipe" whose host is the master (spark://host:7077, yarn, k8s://...);
  - Airflow Variables cfpipe_jar (the path of cfpipe-jobs-spark.jar, built by mvn package),
    cfpipe_conf (the environment's configuration, e.g. conf/standalone.conf) and
    cfpipe_deploy_mode (client, the default, or cluster).
The executor resources below mirror the conf file's cfpipe.submit block; submit-scripts/submit.sh
derives them from the file itself when Airflow is not used.
"""
from datetime import datetime, timedelta

from airflow import DAG
from airflow.models import Variable
from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator

MAIN_CLASS = "org.cfpipe.jobs.CfPipe"
JAR_NAME = "cfpipe-jobs-spark.jar"
STAGES = ["ingest", "encode", "split", "train", "evaluate", "export", "analyze"]

default_args = {
    "owner": "data-engineering",
    "retries": 2,
    "retry_delay": timedelta(minutes=10),
    "depends_on_past": True,
}

with DAG(
    dag_id="cfpipe_nightly",
    description="Ratings in, user and item embeddings out (cfpipe)",
    schedule="0 2 * * *",
    start_date=datetime(2024, 1, 1),
    catchup=True,
    max_active_runs=1,
    default_args=default_args,
    tags=["cfpipe", "spark"],
) as dag:
    conf_file = Variable.get("cfpipe_conf", default_var="conf/standalone.conf")
    # In cluster deploy mode the driver runs elsewhere and reads the copy shipped by files=.
    cluster = Variable.get("cfpipe_deploy_mode", default_var="client") == "cluster"
    conf_argument = conf_file.split("/")[-1] if cluster else conf_file
    jar = Variable.get("cfpipe_jar", default_var="jobs/target/" + JAR_NAME)
    previous = None
    for stage in STAGES:
        task = SparkSubmitOperator(
            task_id=stage,
            conn_id="spark_cfpipe",
            application=jar,
            java_class=MAIN_CLASS,
            name="cfpipe-" + stage + "-{{ ds }}",
            application_args=[stage, "--conf", conf_argument, "--run-date", "{{ ds }}"],
            deploy_mode="cluster" if cluster else "client",
            files=conf_file,
            driver_memory="8g",
            executor_memory="8g",
            executor_cores=2,
            num_executors=4,
            conf={"spark.serializer": "org.apache.spark.serializer.KryoSerializer",
                  "spark.kryo.registrator": "org.nd4j.kryo.Nd4jRegistrator"},
            execution_timeout=timedelta(hours=4),
        )
        if previous is not None:
            previous >> task
        previous = task

"""python-gitlab (Debian's python3-gitlab 3.12) against edgejobs served by `npm start`.

Run by test/clients/run.mjs, which starts the server and sets EDGEJOBS_URL and EDGEJOBS_TOKEN
(the root token `npm start` printed). Each test makes its own project, so they are independent.
    /usr/bin/python3 test/clients/python_gitlab_test.py [--counts FILE] [TestCase.test_name ...]
"""

import gzip
import io
import json
import os
import subprocess
import sys
import tempfile
import unittest
import uuid
import zipfile

import gitlab

sys.path.insert(0, os.path.dirname(__file__))
from runner import Runner  # noqa: E402

URL = os.environ["EDGEJOBS_URL"]
TOKEN = os.environ["EDGEJOBS_TOKEN"]

CI = """
stages: [build, test, deploy]
build:
  stage: build
  script: make
  artifacts:
    paths: [dist/]
test:
  stage: test
  script: make test
deploy:
  stage: deploy
  script: make deploy
  when: manual
"""


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


class EdgejobsCase(unittest.TestCase):
    def setUp(self):
        self.gl = gitlab.Gitlab(URL, private_token=TOKEN)
        self.gl.auth()

    def project(self, ci=CI, visibility="private"):
        project = self.gl.projects.create({"name": unique("py"), "visibility": visibility})
        project.files.create({"file_path": ".gitlab-ci.yml", "branch": "main", "content": ci,
                              "commit_message": "Add CI"})
        return project

    def user(self):
        name = unique("user")
        user = self.gl.users.create({"username": name, "name": name, "email": f"{name}@example.com",
                                     "password": "p4ssw0rd-long-enough"})
        token = user.personal_access_tokens.create({"name": "t", "scopes": ["api"]})
        return user, token.token


class UserAndProjects(EdgejobsCase):
    def test_current_user_is_the_root_admin(self):
        self.assertEqual(self.gl.user.username, "root")
        self.assertTrue(self.gl.user.is_admin)

    def test_project_create_get_and_members(self):
        project = self.project()
        same = self.gl.projects.get(project.id)
        self.assertEqual(same.path_with_namespace, project.path_with_namespace)
        self.assertEqual(self.gl.projects.get(project.path_with_namespace).id, project.id)

        user, token = self.user()
        outsider = gitlab.Gitlab(URL, private_token=token)
        with self.assertRaises(gitlab.exceptions.GitlabGetError) as refused:
            outsider.projects.get(project.id)
        self.assertEqual(refused.exception.response_code, 404)

        project.members.create({"user_id": user.id, "access_level": gitlab.const.DEVELOPER_ACCESS})
        self.assertEqual(outsider.projects.get(project.id).id, project.id)
        self.assertIn(user.username, [m.username for m in project.members_all.list(get_all=True)])


class PipelinesAndJobs(EdgejobsCase):
    def test_a_pipeline_runs_and_its_log_and_artifacts_read_back(self):
        project = self.project()
        runner = Runner(URL, TOKEN, project.id)
        pipeline = project.pipelines.create({"ref": "main"})
        self.assertIn(pipeline.status, ("created", "pending"))
        self.assertEqual(sorted(j.name for j in pipeline.jobs.list(get_all=True)), ["build", "deploy", "test"])

        runner.run("build", log="$ make\nbuilt\n", artifacts={"dist/app.txt": "app v1\n"})
        build = next(j for j in pipeline.jobs.list(get_all=True) if j.name == "build")
        job = project.jobs.get(build.id)
        self.assertEqual(job.status, "success")
        self.assertIn(b"built", job.trace())
        with zipfile.ZipFile(io.BytesIO(job.artifacts())) as zf:
            self.assertEqual(zf.read("dist/app.txt"), b"app v1\n")
        self.assertEqual(job.artifact("dist/app.txt"), b"app v1\n")

        runner.run("test", state="failed")
        pipeline.refresh()
        self.assertEqual(pipeline.status, "failed")

    def test_job_retry_play_and_cancel(self):
        project = self.project()
        runner = Runner(URL, TOKEN, project.id)
        pipeline = project.pipelines.create({"ref": "main"})
        runner.run("build", artifacts={"dist/a": "a"})
        runner.run("test", state="failed")
        failed = next(j for j in pipeline.jobs.list(get_all=True) if j.name == "test")
        retried = project.jobs.get(failed.id).retry()
        self.assertEqual(retried["name"], "test")
        self.assertEqual(retried["status"], "pending")
        runner.run("test")

        deploy = project.jobs.get(next(j.id for j in pipeline.jobs.list(get_all=True) if j.name == "deploy"))
        self.assertEqual(deploy.status, "manual")
        deploy.play()
        deploy.refresh()
        self.assertEqual(deploy.status, "pending")
        deploy.cancel()
        deploy.refresh()
        self.assertEqual(deploy.status, "canceled")

    def test_jobs_list_filters_by_scope(self):
        project = self.project()
        runner = Runner(URL, TOKEN, project.id)
        project.pipelines.create({"ref": "main"})
        runner.run("build", artifacts={"dist/a": "a"})
        self.assertEqual([j.name for j in project.jobs.list(scope="success", get_all=True)], ["build"])
        runner.run("test")
        self.assertEqual([j.name for j in project.jobs.list(scope=["success"], get_all=True)], ["test", "build"])
        self.assertEqual([j.name for j in project.jobs.list(scope=["manual", "failed"], get_all=True)], ["deploy"])


class VariablesAndProtectedBranches(EdgejobsCase):
    def test_project_variables_round_trip_and_reach_the_job(self):
        project = self.project(ci="build:\n  script: make\n")
        created = project.variables.create({"key": "DEPLOY_TOKEN", "value": "s3cret-value-42", "masked": True})
        self.assertTrue(created.masked)
        self.assertEqual(project.variables.get("DEPLOY_TOKEN").value, "s3cret-value-42")
        created.value = "changed-value-42"
        created.save()
        self.assertEqual(project.variables.get("DEPLOY_TOKEN").value, "changed-value-42")
        self.assertEqual([v.key for v in project.variables.list(get_all=True)], ["DEPLOY_TOKEN"])
        with self.assertRaises(gitlab.exceptions.GitlabCreateError) as refused:
            project.variables.create({"key": "SHORT", "value": "short", "masked": True})
        self.assertEqual(refused.exception.response_code, 400)

        runner = Runner(URL, TOKEN, project.id)
        project.pipelines.create({"ref": "main"})
        runner.run("build", log="token is changed-value-42\n")
        build = project.jobs.list(get_all=True)[0]
        self.assertEqual(project.jobs.get(build.id).trace(), b"token is [MASKED]xxxxxxxx\n")
        project.variables.delete("DEPLOY_TOKEN")
        self.assertEqual(project.variables.list(get_all=True), [])

    def test_instance_variables_and_protected_branches(self):
        key = unique("PY").replace("-", "_").upper()
        self.gl.variables.create({"key": key, "value": "instance-wide"})
        self.assertEqual(self.gl.variables.get(key).value, "instance-wide")
        self.gl.variables.delete(key)
        with self.assertRaises(gitlab.exceptions.GitlabGetError):
            self.gl.variables.get(key)

        project = self.project()
        branch = project.protectedbranches.create({"name": "main", "push_access_level": gitlab.const.DEVELOPER_ACCESS})
        self.assertEqual(branch.push_access_levels[0]["access_level"], 30)
        self.assertEqual(project.protectedbranches.get("main").name, "main")
        self.assertTrue(project.branches.get("main").protected)
        project.protectedbranches.delete("main")
        self.assertEqual(project.protectedbranches.list(get_all=True), [])
JUNIT = (b'<testsuites><testsuite name="unit"><testcase classname="A" name="ok" time="0.5"/>'
         b'<testcase classname="A" name="bad" time="1"><failure>boom</failure></testcase></testsuite></testsuites>')


class PipelineCommandsTriggersAndLint(EdgejobsCase):
    def test_trigger_tokens_and_a_triggered_pipeline(self):
        project = self.project("build:\n  script: make\n")
        trigger = project.triggers.create({"description": "deploy"})
        self.assertTrue(trigger.token.startswith("glptt-"))
        pipeline = project.trigger_pipeline("main", trigger.token, variables={"TARGET": "staging"})
        self.assertEqual(pipeline.source, "trigger")
        variables = {v.key: v for v in pipeline.variables.list(get_all=True)}
        self.assertEqual(variables["TARGET"].value, "staging")
        # Ci::PipelineTriggerService keeps the request (without its token) as a file variable.
        self.assertEqual(variables["TRIGGER_PAYLOAD"].variable_type, "file")
        self.assertEqual(json.loads(variables["TRIGGER_PAYLOAD"].value)["variables"], {"TARGET": "staging"})
        with self.assertRaises(gitlab.exceptions.GitlabCreateError):
            project.trigger_pipeline("main", "glptt-wrong-token-0000000000")
        listed = project.triggers.list(get_all=True)
        self.assertEqual([(t.id, t.description) for t in listed], [(trigger.id, "deploy")])
        self.assertEqual(listed[0].token, trigger.token[6:10])
        again = project.triggers.get(trigger.id)
        again.description = "nightly"
        again.save()
        self.assertEqual(project.triggers.get(trigger.id).description, "nightly")
        again.delete()
        self.assertEqual(project.triggers.list(get_all=True), [])
        with self.assertRaises(gitlab.exceptions.GitlabCreateError) as refused:
            project.trigger_pipeline("main", trigger.token)
        self.assertEqual(refused.exception.response_code, 404)

    def test_pipeline_test_report(self):
        project = self.project("unit:\n  script: make test\n  artifacts: {reports: {junit: report.xml}}\n")
        runner = Runner(URL, TOKEN, project.id)
        pipeline = project.pipelines.create({"ref": "main"})
        job = runner.take("unit")
        response = runner.session.post(
            f"{runner.api}/jobs/{job['id']}/artifacts",
            params={"artifact_format": "gzip", "artifact_type": "junit"},
            headers={"JOB-TOKEN": job["token"]},
            files={"file": ("junit.xml.gz", gzip.compress(JUNIT), "application/octet-stream")},
        )
        self.assertEqual(response.status_code, 201, response.text)
        runner.finish(job, "failed", "script_failure")
        report = pipeline.test_report.get()
        self.assertEqual((report.total_count, report.failed_count, report.success_count), (2, 1, 1))
        self.assertEqual([c["name"] for c in report.test_suites[0]["test_cases"]], ["bad", "ok"])
        self.assertEqual(pipeline.test_report_summary.get().total["count"], 2)

    def test_pipeline_retry_cancel_and_delete(self):
        project = self.project()
        runner = Runner(URL, TOKEN, project.id)
        pipeline = project.pipelines.create({"ref": "main"})
        runner.run("build", state="failed")
        pipeline.refresh()
        self.assertEqual(pipeline.status, "failed")
        pipeline.retry()
        pipeline.refresh()
        self.assertIn(pipeline.status, ("pending", "running"))
        runner.run("build", artifacts={"dist/a": "a"})
        pipeline.cancel()
        pipeline.refresh()
        self.assertEqual(pipeline.status, "canceled")
        statuses = {j.name: j.status for j in pipeline.jobs.list(get_all=True, include_retried=False)}
        self.assertEqual(statuses, {"build": "success", "test": "canceled", "deploy": "canceled"})
        pipeline.delete()
        with self.assertRaises(gitlab.exceptions.GitlabGetError) as gone:
            project.pipelines.get(pipeline.id)
        self.assertEqual(gone.exception.response_code, 404)

    def test_ci_lint(self):
        project = self.project()
        self.assertTrue(project.ci_lint.create({"content": "a:\n  script: x\n"}).valid)
        bad = project.ci_lint.create({"content": "job:\n  stage: nope\n  script: x\n"})
        self.assertFalse(bad.valid)
        self.assertTrue(bad.errors)
        with self.assertRaises(gitlab.exceptions.GitlabCiLintError):
            project.ci_lint.validate({"content": "a:\n  scrpt: x\n"})
        with self.assertRaises(gitlab.exceptions.GitlabCiLintError):
            project.ci_lint.validate({"content": "job: {}\n"})
        own = project.ci_lint.get(include_jobs=True)
        self.assertTrue(own.valid)
        self.assertEqual([j["name"] for j in own.jobs], ["build", "test", "deploy"])


class CommandLine(EdgejobsCase):
    def cli(self, *args):
        """python-gitlab's CLI (`python3 -m gitlab`, Debian ships no `gitlab` script) with a config file."""
        with tempfile.NamedTemporaryFile("w", suffix=".cfg", delete=False) as cfg:
            cfg.write(f"[global]\ndefault = edgejobs\n[edgejobs]\nurl = {URL}\nprivate_token = {TOKEN}\n")
        try:
            result = subprocess.run([sys.executable, "-m", "gitlab", "-c", cfg.name, "-o", "json", *args],
                                    capture_output=True, text=True, timeout=60)
        finally:
            os.unlink(cfg.name)
        self.assertEqual(result.returncode, 0, result.stderr)
        return json.loads(result.stdout)

    def test_cli_project_get_and_job_list(self):
        project = self.project()
        shown = self.cli("project", "get", "--id", str(project.id))
        self.assertEqual(shown["id"], project.id)
        project.pipelines.create({"ref": "main"})
        jobs = self.cli("project-job", "list", "--project-id", str(project.id))
        self.assertEqual(sorted(j["name"] for j in jobs), ["build", "deploy", "test"])


class ProjectsListAndVersion(EdgejobsCase):
    def test_projects_list_pages_and_filters(self):
        made = [self.project(visibility="private") for _ in range(3)]
        ids = [p.id for p in self.gl.projects.list(get_all=True)]
        for project in made:
            self.assertIn(project.id, ids)
        paged = [p.id for p in self.gl.projects.list(iterator=True, per_page=2)]
        self.assertEqual(sorted(paged), sorted(ids))
        keyset = [p.id for p in self.gl.projects.list(iterator=True, per_page=2, pagination="keyset", order_by="id", sort="asc")]
        self.assertEqual(keyset, sorted(ids))
        found = self.gl.projects.list(search=made[1].name, get_all=True)
        self.assertEqual([p.id for p in found], [made[1].id])

        user, token = self.user()
        outsider = gitlab.Gitlab(URL, private_token=token)
        self.assertNotIn(made[0].id, [p.id for p in outsider.projects.list(get_all=True)])
        made[0].members.create({"user_id": user.id, "access_level": gitlab.const.REPORTER_ACCESS})
        self.assertEqual([p.id for p in outsider.projects.list(membership=True, get_all=True)], [made[0].id])

    def test_version(self):
        version, revision = self.gl.version()
        self.assertNotEqual(version, "unknown")
        self.assertTrue(revision)


class ArtifactsByRef(EdgejobsCase):
    def test_download_and_raw_by_ref_name(self):
        project = self.project()
        runner = Runner(URL, TOKEN, project.id)
        project.pipelines.create({"ref": "main"})
        runner.run("build", artifacts={"dist/app.txt": "app v2\n"})
        runner.run("test")
        archive = project.artifacts.download(ref_name="main", job="build")
        with zipfile.ZipFile(io.BytesIO(archive)) as zf:
            self.assertEqual(zf.read("dist/app.txt"), b"app v2\n")
        self.assertEqual(project.artifacts.raw("main", "dist/app.txt", "build"), b"app v2\n")
        with self.assertRaises(gitlab.exceptions.GitlabGetError) as missing:
            project.artifacts.download(ref_name="main", job="nope")
        self.assertEqual(missing.exception.response_code, 404)


class RunnersAndHooks(EdgejobsCase):
    def test_runners_list_and_pause(self):
        project = self.project()
        runner = Runner(URL, TOKEN, project.id)
        mine = [r.id for r in self.gl.runners.list(get_all=True)]
        everyone = [r.id for r in self.gl.runners.all(get_all=True)]
        self.assertTrue(set(mine) <= set(everyone))
        ids = [r.id for r in project.runners.list(get_all=True)]
        self.assertEqual(len(ids), 1)
        details = self.gl.runners.get(ids[0])
        details.paused = True
        details.save()
        self.assertTrue(self.gl.runners.get(ids[0]).paused)
        project.pipelines.create({"ref": "main"})
        self.assertIsNone(runner.request_job())

    def test_hooks_crud(self):
        project = self.project()
        hook = project.hooks.create({"url": "https://hooks.example.com/ci", "job_events": True, "pipeline_events": True,
                                     "push_events": False, "token": "hook-secret"})
        self.assertTrue(hook.job_events)
        self.assertNotIn("token", hook.attributes)
        hook.job_events = False
        hook.save()
        self.assertFalse(project.hooks.get(hook.id).job_events)
        hook.delete()
        self.assertEqual(project.hooks.list(get_all=True), [])


class CountingResult(unittest.TextTestResult):
    pass


def main():
    argv = sys.argv[1:]
    counts_file = None
    if "--counts" in argv:
        at = argv.index("--counts")
        counts_file = argv[at + 1]
        del argv[at:at + 2]
    loader = unittest.TestLoader()
    suite = loader.loadTestsFromNames(argv, sys.modules[__name__]) if argv else loader.loadTestsFromModule(sys.modules[__name__])
    result = unittest.TextTestRunner(verbosity=2, resultclass=CountingResult).run(suite)
    failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
    if counts_file:
        with open(counts_file, "w") as out:
            json.dump({"passed": result.testsRun - failed - len(result.skipped), "failed": failed}, out)
    sys.exit(0 if failed == 0 else 1)


if __name__ == "__main__":
    main()

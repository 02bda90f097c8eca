"""A runner for the python-gitlab stage: gitlab-runner's calls (network/gitlab.go), made with
requests, so that the stage's pipelines really run: register through POST /user/runners, poll
POST /jobs/request, send the log with PATCH /jobs/:id/trace, upload artifacts, finish with
PUT /jobs/:id."""

import io
import uuid
import zipfile

import requests

VERSION = "19.4.0"
FEATURES = {
    "variables": True, "artifacts": True, "cache": True, "upload_multiple_artifacts": True,
    "upload_raw_artifacts": True, "refspecs": True, "masking": True, "raw_variables": True,
    "artifacts_exclude": True, "multi_build_steps": True, "trace_reset": True, "trace_checksum": True,
    "trace_size": True, "cancelable": True, "return_exit_code": True, "two_phase_job_commit": False,
}


class Runner:
    def __init__(self, url, user_token, project_id):
        self.api = f"{url}/api/v4"
        self.session = requests.Session()
        self.session.headers["User-Agent"] = f"gitlab-runner {VERSION} (19-4-stable; go1.24.6; linux/amd64)"
        self.system_id = "s_" + uuid.uuid4().hex[:12]
        created = self.session.post(
            f"{self.api}/user/runners",
            headers={"PRIVATE-TOKEN": user_token},
            json={"runner_type": "project_type", "project_id": project_id, "run_untagged": True},
        )
        created.raise_for_status()
        self.token = created.json()["token"]
        self.session.post(f"{self.api}/runners/verify", json=self._body()).raise_for_status()

    def _body(self, **extra):
        info = {"name": "gitlab-runner", "version": VERSION, "platform": "linux", "architecture": "amd64",
                "executor": "shell", "shell": "bash", "features": FEATURES}
        return {"token": self.token, "system_id": self.system_id, "info": info, **extra}

    def request_job(self):
        """One poll: the job payload, or None (204)."""
        response = self.session.post(f"{self.api}/jobs/request", json=self._body())
        if response.status_code == 204:
            return None
        response.raise_for_status()
        return response.json()

    def take(self, name, polls=40):
        """Polls until the job called `name` is handed out; other jobs handed out first are failed."""
        for _ in range(polls):
            job = self.request_job()
            if job is None:
                continue
            if job["job_info"]["name"] == name:
                return job
            self.finish(job, "failed")
        raise AssertionError(f"job {name} was never handed out")

    def log(self, job, text):
        data = text.encode()
        response = self.session.patch(
            f"{self.api}/jobs/{job['id']}/trace",
            headers={"JOB-TOKEN": job["token"], "Content-Range": f"0-{len(data) - 1}",
                     "Content-Type": "text/plain"},
            data=data,
        )
        assert response.status_code == 202, response.text

    def upload_artifacts(self, job, files):
        """`artifacts: paths:` as the artifacts-uploader sends them: one zip in a `file` part."""
        archive = io.BytesIO()
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
            for path, content in files.items():
                zf.writestr(path, content)
        response = self.session.post(
            f"{self.api}/jobs/{job['id']}/artifacts",
            params={"artifact_format": "zip", "artifact_type": "archive"},
            headers={"JOB-TOKEN": job["token"]},
            files={"file": ("artifacts.zip", archive.getvalue(), "application/zip")},
        )
        assert response.status_code == 201, response.text
        return archive.getvalue()

    def finish(self, job, state, failure_reason=None):
        body = {"token": job["token"], "state": state}
        if failure_reason:
            body["failure_reason"] = failure_reason
        response = self.session.put(f"{self.api}/jobs/{job['id']}", headers={"JOB-TOKEN": job["token"]}, json=body)
        assert response.status_code == 200, response.text

    def run(self, name, state="success", log="$ make\nok\n", artifacts=None):
        """Takes the job `name`, sends its log (and artifacts) and ends it in `state`."""
        job = self.take(name)
        self.log(job, log)
        if artifacts:
            self.upload_artifacts(job, artifacts)
        self.finish(job, state, "script_failure" if state == "failed" else None)
        return job

"""Files in the sandbox: the three-step upload (step 2 without a token), file JSON, downloads, folders."""

from __future__ import annotations

from urllib.parse import quote

import httpx
import pytest
from canvasapi import Canvas

from tests.conftest import user_client

BYTES = "Résumé ✓ — 測試\n".encode() * 100


def announce(client, name="notes.txt", **extra):
    data = {"name": name, "size": str(len(BYTES)), "content_type": "text/plain",
            "parent_folder_path": "conversation attachments", **extra}
    response = client.post("/api/v1/users/self/files", data=data)
    assert response.status_code == 200, response.text
    return response.json()


def send_bytes(step1, data=BYTES):
    """Step 2 exactly as the docs say: upload_params, then ``file`` last, and no token."""
    with httpx.Client(timeout=10) as anonymous:
        response = anonymous.post(step1["upload_url"], data=step1["upload_params"],
                                  files={step1["file_param"]: ("ignored-name", data)})
    assert "authorization" not in {k.lower() for k in response.request.headers}
    return response


def seeded_file(sandbox, name):
    return sandbox.call(lambda: next(f for f in sandbox.state.files.files.values() if f.display_name == name))


def test_upload_in_three_steps_needs_no_token_for_the_bytes(sandbox, teacher):
    step1 = announce(teacher, "Résumé 測試.txt")
    assert step1["upload_url"].startswith(f"{sandbox.base_url}/files_api/upload/")
    assert step1["upload_params"] == {"filename": "Résumé 測試.txt", "content_type": "text/plain"}
    assert step1["file_param"] == "file"

    done = send_bytes(step1)
    assert done.status_code == 201, done.text
    file = done.json()
    assert file["display_name"] == "Résumé 測試.txt" and file["size"] == len(BYTES)
    assert file["content-type"] == "text/plain" and "verifier=" in file["url"]

    folder = teacher.get("/api/v1/users/self/folders/by_path/conversation attachments").json()[-1]
    assert folder["full_name"] == "my files/conversation attachments" and file["folder_id"] == folder["id"]

    # Step 3 for clients that follow the Location: the same file, with the token.
    confirmed = teacher.get(done.headers["Location"])
    assert confirmed.status_code == 200 and confirmed.json()["id"] == file["id"]
    assert teacher.get(f"/api/v1/files/{file['id']}").json()["uuid"] == file["uuid"]


def test_download_by_verifier_gives_the_same_bytes_without_a_token(teacher):
    file = send_bytes(announce(teacher, "Résumé 測試.txt")).json()
    got = httpx.get(file["url"], timeout=10)
    assert got.status_code == 200 and got.content == BYTES
    assert got.headers["content-type"].startswith("text/plain")
    disposition = got.headers["content-disposition"]
    assert disposition.startswith("attachment;")
    assert f"filename*=UTF-8''{quote('Résumé 測試.txt', safe='')}" in disposition


def test_an_upload_key_works_once_and_unknown_keys_are_404(teacher):
    step1 = announce(teacher)
    assert send_bytes(step1).status_code == 201
    again = send_bytes(step1)
    assert again.status_code == 404
    assert again.json() == {"errors": [{"message": "The specified resource does not exist."}]}
    bogus = dict(step1, upload_url=step1["upload_url"].rsplit("/", 1)[0] + "/not-a-key")
    assert send_bytes(bogus).status_code == 404


@pytest.mark.filterwarnings("ignore:Canvas may respond unexpectedly")  # plain http on loopback
def test_canvasapi_uploads_end_to_end(sandbox, tmp_path):
    path = tmp_path / "lab notes.txt"
    path.write_bytes(BYTES)
    token = sandbox.info.token_of("student", 0)
    ok, file = Canvas(sandbox.base_url, token).get_current_user().upload(
        str(path), parent_folder_path="conversation attachments")
    assert ok and file["display_name"] == "lab notes.txt" and file["size"] == len(BYTES)
    assert httpx.get(file["url"], timeout=10).content == BYTES
    with user_client(sandbox, "student", 0) as student:
        folders = student.get("/api/v1/users/self/folders").json()
    attachments = next(f for f in folders if f["name"] == "conversation attachments")
    assert attachments["id"] == file["folder_id"] and attachments["files_count"] >= 1


def test_download_refuses_a_wrong_verifier_and_strangers(sandbox, teacher):
    file = send_bytes(announce(teacher)).json()
    plain = f"{sandbox.base_url}/files/{file['id']}/download"

    wrong = httpx.get(plain, params={"verifier": "0" * 40}, timeout=10)
    assert wrong.status_code == 401 and wrong.json()["errors"][0]["message"]
    assert wrong.headers["WWW-Authenticate"] == 'Bearer realm="canvas-lms"'
    nothing = httpx.get(plain, timeout=10)
    assert nothing.status_code == 401 and nothing.json()["status"] == "unauthenticated"

    assert teacher.get(plain).content == BYTES  # the owner's token is enough
    with user_client(sandbox, "student", 5) as stranger:
        assert stranger.get(plain).status_code == 401
        assert stranger.get(f"/api/v1/files/{file['id']}").status_code == 401
    assert httpx.get(f"{sandbox.base_url}/files/999999/download", timeout=10).status_code == 404


def test_participants_of_a_message_may_see_its_file(sandbox, teacher, student):
    # The seeded thread between the teacher and Jane carries her draft and his rubric.
    draft = seeded_file(sandbox, "lab-report-draft.pdf")
    rubric = seeded_file(sandbox, "rubric.txt")
    shown = teacher.get(f"/api/v1/files/{draft.id}")
    assert shown.status_code == 200 and shown.json()["display_name"] == "lab-report-draft.pdf"
    assert student.get(f"/api/v1/files/{rubric.id}").status_code == 200
    got = student.get(f"/files/{rubric.id}/download")
    assert got.status_code == 200 and got.content == rubric.data
    with user_client(sandbox, "student", 1) as bob:  # not in that thread
        assert bob.get(f"/api/v1/files/{rubric.id}").status_code == 401
        assert bob.get(f"/files/{rubric.id}/download").status_code == 401
    assert teacher.get("/api/v1/files/999999").status_code == 404


def test_uploads_only_into_ones_own_folders(sandbox, teacher, student):
    theirs = student.get("/api/v1/users/self/folders/by_path/conversation attachments").json()[-1]
    into_theirs = teacher.post(f"/api/v1/folders/{theirs['id']}/files", data={"name": "x.txt"})
    assert into_theirs.status_code == 404
    by_id = teacher.post("/api/v1/users/self/files", data={"name": "x.txt", "parent_folder_id": theirs["id"]})
    assert by_id.status_code == 404
    assert teacher.post("/api/v1/users/10/files", data={"name": "x.txt"}).status_code == 401
    mine = teacher.get("/api/v1/users/self/folders/by_path").json()[-1]
    own = teacher.post(f"/api/v1/folders/{mine['id']}/files", data={"name": "x.txt"})
    assert own.status_code == 200 and own.json()["upload_params"]["content_type"] == "text/plain"
    assert teacher.get("/api/v1/users/self/folders/by_path/no such folder").status_code == 404


def test_rename_on_duplicate_and_a_missing_name(teacher):
    send_bytes(announce(teacher, "same.txt"))
    renamed = announce(teacher, "same.txt", on_duplicate="rename")
    assert renamed["upload_params"]["filename"] == "same-1.txt"
    rooted = send_bytes(announce(teacher, "rooted.txt", parent_folder_path="my files/conversation attachments"))
    assert rooted.json()["folder_id"] == send_bytes(announce(teacher)).json()["folder_id"]
    missing = teacher.post("/api/v1/users/self/files", data={"size": "3"})
    assert missing.status_code == 400

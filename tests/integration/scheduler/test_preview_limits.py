"""The policy preview reads a sample, not a ledger: every reader may upload one in the web request, so
its file is read within a sample's own limits (HUIFANG_PREVIEW_MAX_ROWS, HUIFANG_PREVIEW_MAX_UNPACKED_BYTES)
by the ledger import's reader: an .xlsx unpacking to more is refused before it is unpacked, and rows
beyond the sample's are never read."""
from __future__ import annotations

import io
import re
import zipfile
from dataclasses import replace

from openpyxl import Workbook

from services.scheduler.service import SERVICE
from shared.users.store import save_person
from testkit.scheduler import ORG


def _signed_in(scheduler, login: str, role: str):
    SERVICE.run(save_person, organization=ORG, login=login, role=role, password=f"pw-{login}")
    client = scheduler.client
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)
    client.post("/login", data={"login": login, "password": f"pw-{login}", "csrf_token": token})
    form = client.get("/policies/preview").get_data(as_text=True)
    return client, re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)


def _upload(client, token: str, filename: str, content: bytes):
    return client.post("/policies/preview", data={"csrf_token": token, "policy": "",
                                                   "sample_file": (io.BytesIO(content), filename)},
                       content_type="multipart/form-data")


def _workbook(rows: int, *, padding: int = 0) -> bytes:
    """A sample workbook of deliveries; `padding` bytes of zeros in an extra member make it unpack large
    while it stays small on the wire."""
    book = Workbook()
    sheet = book.active
    sheet.append(["delivery_id", "shipped_on", "commissioned_on", "contract_amount"])
    for n in range(rows):
        sheet.append([f"D-{n}", "2026-01-31", "2026-03-15", 3200000])
    buffer = io.BytesIO()
    book.save(buffer)
    if padding:
        with zipfile.ZipFile(buffer, "a", compression=zipfile.ZIP_DEFLATED) as packed:
            packed.writestr("xl/media/padding.bin", b"\0" * padding)
    return buffer.getvalue()


def test_rule_1_1_a_sample_workbook_unpacking_beyond_the_previews_limit_is_refused_before_it_is_read(scheduler):
    # given an agent (any reader may preview) and a workbook of 3 rows padded to unpack to 8 MiB (under 2 MB packed)
    client, token = _signed_in(scheduler, "wu", "agent")
    content = _workbook(3, padding=8 * 1024 * 1024)
    assert len(content) < 2 * 1024 * 1024
    # when it is uploaded to the preview
    response = _upload(client, token, "sample.xlsx", content)
    # then it is refused, saying the preview's limit (4 MB by default), and nothing is planned
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "4 MB" in page and "D-0" not in page
    # while the same rows without the padding are planned
    planned = _upload(client, token, "sample.xlsx", _workbook(3))
    assert planned.status_code == 200 and "D-2" in planned.get_data(as_text=True)


def test_rule_1_1_the_preview_reads_only_the_first_rows_of_a_sample_as_the_settings_say(scheduler):
    # given the preview's sample limit set to 3 rows, and a sample CSV of 10 deliveries
    scheduler.settings = replace(scheduler.settings, preview_max_rows=3)
    client, token = _signed_in(scheduler, "wu", "agent")
    lines = ["delivery_id,shipped_on,commissioned_on,contract_amount"] + \
        [f"D-{n},2026-01-31,2026-03-15,3200000" for n in range(10)]
    # when it is uploaded
    response = _upload(client, token, "sample.csv", "\n".join(lines).encode())
    # then the first 3 are planned, the rest are not read, and the page says so
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert all(f"D-{n}<" in page or f"D-{n} " in page or f">D-{n}" in page for n in range(3))
    assert "D-3" not in page and 'id="preview-more"' in page

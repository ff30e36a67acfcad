"""What a command prints of data someone else wrote (a review comment, a customer's name from a
package, a user's name): control characters and escape sequences are shown, never obeyed, and a
line printed stays one line."""

from __future__ import annotations

import json
import re
import shutil

import pytest
from conftest import EXAMPLES, copy_examples

from casegen.cli import main
from casegen.service.store import Listing

CASE_03 = "03-有外线有掘路-顺达汽修/case.yaml"
# clear the screen, set the window's title, go back to the line's start, the 8-bit CSI, a bidi override
HOSTILE = "退回\x1b[2J\x1b]0;已审核\x07\r审核通过\x9b31m\u202e反"
RAW = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029]")


def raw_controls(text: str) -> list[str]:
    """The control characters in printed text, its own line ends apart."""
    return RAW.findall(text.replace("\n", ""))


def test_shown_writes_every_control_character_out_and_keeps_chinese_and_tabs():
    from casegen.base.terminal import printable

    assert printable(HOSTILE) == "退回\\x1b[2J\\x1b]0;已审核\\x07\\r审核通过\\x9b31m\\u202e反"
    assert printable("两行\n一行") == "两行\\n一行"  # a value never makes a line of its own
    assert printable("重庆沙坪坝区顺达汽车维修有限公司\t9/15") == "重庆沙坪坝区顺达汽车维修有限公司\t9/15"
    assert printable(None) == "None" and printable(3) == "3"


def test_history_shows_a_hostile_review_comment_instead_of_obeying_it(tmp_path, capsys):
    from casegen.service.workbench import review

    case = copy_examples(tmp_path / "cases") / CASE_03
    review(case, "李填报", "提交审核")
    review(case, "王审核\x1b[8m", "退回修改", HOSTILE)
    assert main(["history", str(case)]) == 0
    out = capsys.readouterr().out
    assert raw_controls(out) == []
    assert "王审核\\x1b[8m  退回修改：退回\\x1b[2J\\x1b]0;已审核\\x07\\r审核通过" in out
    assert main(["history", str(case), "--json"]) == 0
    out = capsys.readouterr().out
    assert raw_controls(out) == []
    assert json.loads(out)["entries"][-1]["comment"] == HOSTILE  # the data itself, for programs


def test_store_shows_a_customer_name_with_a_carriage_return_on_its_own_line(tmp_path, capsys, monkeypatch):
    forged = "重庆沙坪坝区顺达汽车维修有限公司\r✓ 全部合规"
    unit = "九龙坡供电分公司"
    listing = Listing(units=[{"unit": f"{unit}\x1b[2J", "periods": 1, "revisions": 1}],
                      revisions=[{"unit": unit, "start": "2024-09-01", "end": "2025-04-30", "number": 1,
                                  "projects": 3, "ledger": "附件2.xlsx", "ledger_problem": None, "cases": 1,
                                  "received": "2025-05-01T09:00:00+08:00", "flagged": 1,
                                  "path": "九龙坡/\x1b]0;x\x07.zip"}],
                      cases=[{"unit": unit, "start": "2024-09-01", "revision": 1, "account": "5103765432\r",
                              "customer": forged, "kind": "有外线有掘路", "accepted": "2025-05-06", "working_days": 9,
                              "limit_days": 15, "数据错误": 0, "适用范围": 0, "服务目标": 0, "实证材料": 0}],
                      changes=[{"unit": unit, "account": "5103765432", "item": "典型案例", "place": "cases/03",
                                "change": "修改", "label": "户名", "field": "customer", "old": "顺达汽修",
                                "new": forged, "start": "2024-09-01", "end": "2025-04-30", "revision": 2,
                                "received": "2025-05-01T09:00:00+08:00"}])
    monkeypatch.setattr("casegen.cli.store.store_listing", lambda *a, **k: listing)
    assert main(["store", str(tmp_path), "--unit", unit]) == 0
    out = capsys.readouterr().out
    assert raw_controls(out) == []
    assert "重庆沙坪坝区顺达汽车维修有限公司\\r✓ 全部合规" in out and "户号 5103765432\\r" in out
    assert "户名：顺达汽修 → 重庆沙坪坝区顺达汽车维修有限公司\\r✓ 全部合规" in out
    assert main(["store", str(tmp_path), "--unit", unit, "--json"]) == 0
    out = capsys.readouterr().out
    assert raw_controls(out) == [] and json.loads(out)["cases"][0]["customer"] == forged


@pytest.mark.parametrize(("name", "printed"), [("赵\x1b[2J", "赵\\x1b[2J"), ("钱\r孙", "钱\\r孙")])
def test_users_list_shows_a_hand_edited_name_safely(tmp_path, capsys, name, printed):
    path = tmp_path / "users.toml"
    path.write_text(f'[users.{json.dumps(name)}]\nrole = "查看"\npassword = "scrypt$1$1$1$AA==$AA=="\n',
                    encoding="utf-8")
    assert main(["users", "list", "--users", str(path)]) == 0
    out = capsys.readouterr().out
    assert raw_controls(out) == [] and f"{printed}\t查看" in out


def test_a_file_name_with_escape_sequences_is_shown_by_validate_and_check(tmp_path, capsys):
    folder = tmp_path / "cases"
    folder.mkdir()
    shutil.copy(EXAMPLES / CASE_03, folder / "顺达\x1b[2J\r.yaml")
    main(["validate", str(folder)])
    main(["check", str(folder)])
    out = capsys.readouterr()
    assert raw_controls(out.out + out.err) == [] and "顺达\\x1b[2J\\r.yaml" in out.out

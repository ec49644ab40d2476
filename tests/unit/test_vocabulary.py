"""One vocabulary: every code of the contract has one name, in English and in Chinese, and the
catalogs give each English msgid one Chinese translation (so "site contact" is the same word on
every service's pages, in the PDF and in the mail)."""
from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from services.complaints.pages import labels as complaints_labels
from services.reporting import labels as report_labels
from services.reporting.pages import labels as reporting_labels
from services.scheduler.pages import labels as scheduler_labels
from shared.web import vocabulary

ROOT = Path(__file__).resolve().parents[2]
CATALOGS = sorted([*ROOT.glob("shared/web/translations/*/LC_MESSAGES/messages.po"),
                   *ROOT.glob("services/*/translations/*/LC_MESSAGES/messages.po")])


def _translations() -> dict[tuple, dict[str, list[str]]]:
    """Gives each (context, msgid) of every catalog, with each translation and the catalogs giving it."""
    out: dict[tuple, dict[str, list[str]]] = {}
    for path in CATALOGS:
        with path.open("rb") as f:
            for message in read_po(f):
                if not message.id:
                    continue
                msgid = message.id if isinstance(message.id, str) else message.id[0]
                string = message.string if isinstance(message.string, str) else " | ".join(message.string)
                out.setdefault((message.context, msgid), {}).setdefault(string, []).append(
                    str(path.relative_to(ROOT)))
    return out


def test_every_catalog_is_there():
    # given the shared catalog and the three services' own
    # then each is found (a catalog moved away would make the comparison below compare nothing)
    assert len(CATALOGS) == 4, CATALOGS


def test_one_chinese_word_per_english_label_across_the_catalogs():
    # given every catalog's translations
    translations = _translations()
    # then no msgid (in one context) is translated two ways
    drifted = {key: strings for key, strings in translations.items() if len(strings) > 1}
    assert not drifted, drifted


def test_no_catalog_leaves_a_string_untranslated_or_fuzzy():
    for path in CATALOGS:
        with path.open("rb") as f:
            missing = [m.id for m in read_po(f) if m.id and (m.fuzzy or not all(
                [m.string] if isinstance(m.string, str) else m.string))]
        assert not missing, (path, missing)


@pytest.mark.parametrize("family", sorted(vocabulary.FAMILIES))
def test_every_code_of_the_contract_has_a_name_and_a_chinese_one(family):
    # given a family of codes of the contract and its names
    codes, names = vocabulary.FAMILIES[family]
    for code in codes:
        # then the code has an English name, and the catalogs a Chinese one
        assert code in names, (family, code)
        english = vocabulary.name_in("en", names, code)
        chinese = vocabulary.name_in("zh-CN", names, code)
        assert english and english != code, (family, code, english)
        assert chinese and chinese != english, (family, code, chinese)


def test_a_callback_that_is_open_and_a_complaint_that_is_open_are_named_apart():
    # given the same English word for two states
    # then Chinese tells them apart (the catalogs' context), and the phone channel is not a phone number
    assert vocabulary.name_in("zh-CN", vocabulary.CALLBACK_STATUSES, "open") == "待回访"
    assert vocabulary.name_in("zh-CN", vocabulary.COMPLAINT_STATES, "open") == "处理中"
    assert vocabulary.name_in("zh-CN", vocabulary.CHANNELS, "phone") == "电话回访"
    assert vocabulary.name_in("en", vocabulary.CHANNELS, "phone") == "Phone"


def test_the_services_take_the_contract_families_from_the_vocabulary():
    # given the services' label tables
    # then each family of the contract is the vocabulary's own table, not a copy
    assert scheduler_labels.KINDS is vocabulary.CALLBACK_KINDS
    assert scheduler_labels.STATUSES is vocabulary.CALLBACK_STATUSES
    assert scheduler_labels.CHANNELS is vocabulary.CHANNELS
    assert scheduler_labels.SEGMENTS is vocabulary.SEGMENTS
    assert scheduler_labels.ANSWERS is vocabulary.ANSWERS
    assert scheduler_labels.LINES is vocabulary.BUSINESS_LINES
    assert complaints_labels.CATEGORIES is vocabulary.CATEGORIES
    assert complaints_labels.SOURCES is vocabulary.SOURCES
    assert complaints_labels.STATES is vocabulary.COMPLAINT_STATES
    assert complaints_labels.DEADLINES is vocabulary.DEADLINES
    assert complaints_labels.CLOSURE_REASONS is vocabulary.CLOSURE_REASONS
    assert complaints_labels.ACTION_STATUSES is vocabulary.ACTION_STATUSES
    assert reporting_labels.KINDS is vocabulary.CALLBACK_KINDS
    assert reporting_labels.CALLBACK_STATUSES is vocabulary.CALLBACK_STATUSES
    assert reporting_labels.CATEGORIES is vocabulary.CATEGORIES
    assert reporting_labels.DEADLINES is vocabulary.DEADLINES


def test_the_pdf_names_codes_as_the_pages_do():
    # given the report's names of codes in each edition
    # then they are the vocabulary's: the 2-1-1 deadlines in the seed's words, every callback kind named
    assert report_labels.code_label("zh-CN", "first_reply") == "首次回复"
    assert report_labels.code_label("zh-CN", "verify") == "处理结果回访"
    assert report_labels.code_label("en", "answer") == "Handler's answer"
    for kind in vocabulary.CALLBACK_KINDS:
        assert report_labels.code_label("zh-CN", kind) != kind
    assert report_labels.code_label("zh-CN", "0") == "回访员"
    assert report_labels.code_label("zh-CN", "done", vocabulary.ACTION_STATUSES) == "已完成,待验证"

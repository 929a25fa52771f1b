"""Reading datasets in chunks, and a clear error naming the file for each kind of bad input."""

from __future__ import annotations

import pandas as pd
import pytest

from govgate.datasets import inspect_dataset, iter_chunks
from govgate.datasheet import ColumnSpec, Datasheet, FileFormat, load_datasheet, parse_retention
from govgate.errors import InputError

REVIEW_COLUMNS = [
    "reviewerID",
    "asin",
    "reviewerName",
    "helpful",
    "reviewText",
    "overall",
    "summary",
    "unixReviewTime",
    "reviewTime",
]


def _sheet(**kw) -> Datasheet:
    return Datasheet(**kw)


def test_headerless_csv_via_datasheet(shared_data, local_settings):
    sheet = _sheet(columns=[ColumnSpec(name=c) for c in REVIEW_COLUMNS], format=FileFormat(header=False))
    info = inspect_dataset(str(shared_data / "ecommerce" / "Musical_instruments_reviews.csv"), sheet, local_settings)
    assert info.columns == REVIEW_COLUMNS and len(info.sha256) == 64
    chunks = list(iter_chunks(info, 1000))
    assert [len(c) for c in chunks] == [1000] * 5 + [50]
    assert chunks[0]["overall"].dtype.kind == "i"


def test_multiline_quoted_fields_and_leading_blank_line(shared_data, local_settings):
    info = inspect_dataset(str(shared_data / "ecommerce" / "ecommerce_customers.csv"), _sheet(), local_settings)
    assert info.columns[:3] == ["Email", "Address", "Avatar"]
    assert sum(len(c) for c in iter_chunks(info, 64)) == 500


@pytest.mark.parametrize("fmt", ["parquet", "jsonl"])
def test_parquet_and_jsonl(tmp_path, local_settings, fmt):
    df = pd.DataFrame({"email": [f"user{i}@example.com" for i in range(250)], "n": range(250)})
    path = tmp_path / f"data.{fmt}"
    df.to_parquet(path) if fmt == "parquet" else df.to_json(path, orient="records", lines=True)
    info = inspect_dataset(str(path), _sheet(), local_settings)
    assert info.format == fmt and info.columns == ["email", "n"]
    assert [len(c) for c in iter_chunks(info, 100)] == [100, 100, 50]


def test_s3_dataset(tmp_path, s3_settings):
    from govgate.store import open_store

    store = open_store(s3_settings)
    store.put("raw/people.csv", b"name,email\nAn,an@example.com\n")
    bucket = s3_settings.effective_store_url.split("/")[2]
    info = inspect_dataset(f"s3://{bucket}/govgate/raw/people.csv", _sheet(), s3_settings)
    assert info.columns == ["name", "email"]
    with pytest.raises(InputError, match=r"dataset s3://.*/raw/missing.csv does not exist"):
        inspect_dataset(f"s3://{bucket}/govgate/raw/missing.csv", _sheet(), s3_settings)


def _write(tmp_path, name, content: bytes):
    path = tmp_path / name
    path.write_bytes(content)
    return str(path)


def test_empty_file(tmp_path, local_settings):
    with pytest.raises(InputError, match=r"empty.csv is empty \(0 bytes\)"):
        inspect_dataset(_write(tmp_path, "empty.csv", b""), _sheet(), local_settings)


def test_bad_encoding(tmp_path, local_settings):
    path = _write(
        tmp_path, "latin.csv", "name,city\nJosé,Hà Nội\n".encode("latin-1", errors="replace").replace(b"?", b"\xe0")
    )
    with pytest.raises(InputError, match=r"latin.csv is not valid utf-8: byte 0x.. .*format.encoding"):
        info = inspect_dataset(path, _sheet(), local_settings)
        list(iter_chunks(info, 10))


def test_ragged_csv(tmp_path, local_settings):
    path = _write(tmp_path, "ragged.csv", b"a,b,c\n1,2,3\n4,5,6,7,8\n")
    info = inspect_dataset(path, _sheet(), local_settings)
    with pytest.raises(InputError, match=r"ragged.csv is not well-formed CSV: .*line 3"):
        list(iter_chunks(info, 10))


def test_wrong_delimiter(tmp_path, local_settings):
    path = _write(tmp_path, "semi.csv", b"a;b;c\n1;2;3\n")
    with pytest.raises(InputError, match=r"semi.csv: the header has 1 field.*set format.delimiter: ';'"):
        inspect_dataset(path, _sheet(), local_settings)


def test_datasheet_column_missing_from_file(tmp_path, local_settings):
    path = _write(tmp_path, "shop.csv", b"email,amount\nx@y.z,3\n")
    sheet = _sheet(columns=[ColumnSpec(name="email"), ColumnSpec(name="rating")])
    with pytest.raises(InputError, match=r"shop.csv: column\(s\) \['rating'\] named in the datasheet do not exist"):
        inspect_dataset(path, sheet, local_settings)


def test_single_huge_line_is_refused_without_loading_it(tmp_path, local_settings):
    path = tmp_path / "one-line.csv"
    with open(path, "wb") as f:  # 3 MB in one line; the limit is lowered to keep the test small
        for _ in range(3):
            f.write(b"x" * 1_000_000)
    with pytest.raises(InputError, match=r"one-line.csv: a line is 3,000,000 bytes long \(limit 1,000,000\)"):
        inspect_dataset(str(path), _sheet(), local_settings, max_line_bytes=1_000_000)


def test_missing_local_file(tmp_path, local_settings):
    with pytest.raises(InputError, match=r"nope.csv does not exist"):
        inspect_dataset(str(tmp_path / "nope.csv"), _sheet(), local_settings)


def test_unknown_format(tmp_path, local_settings):
    with pytest.raises(InputError, match=r"cannot tell the format.*format.type"):
        inspect_dataset(_write(tmp_path, "blob.bin", b"\x00\x01"), _sheet(), local_settings)


def test_text_file_is_read_line_by_line(tmp_path, local_settings):
    path = _write(tmp_path, "train.py", b"import os\nKEY = os.environ['X']\n\nprint(KEY)\n")
    info = inspect_dataset(path, _sheet(), local_settings)
    (chunk,) = list(iter_chunks(info, 100))
    assert info.format == "text" and list(chunk["line"]) == ["import os", "KEY = os.environ['X']", "", "print(KEY)"]


def test_datasheet_errors_name_file_and_key(tmp_path):
    path = tmp_path / "sheet.yaml"
    path.write_text(
        "owner: a\nlegal_basis: because\nretention: forever\ncolumns: [{name: x, nulable: false}]\nownr: b\n"
    )
    with pytest.raises(InputError) as err:
        load_datasheet(path)
    text = str(err.value)
    assert str(path) in text
    for part in ("legal_basis:", "retention:", "columns.0.nulable: unknown key", "ownr: unknown key"):
        assert part in text


def test_datasheet_forms_a_user_writes(tmp_path):
    """Columns as a mapping name -> spec; a near-miss legal basis is named with a suggestion (never
    corrected: it is a legal claim); a field of the wrong shape says which shape is expected."""
    path = tmp_path / "sheet.yaml"
    path.write_text("columns:\n  email: {type: string, pii: true}\n  note: free text\n  rating:\n")
    sheet = load_datasheet(path)
    assert [(c.name, c.type, c.pii, c.description) for c in sheet.columns] == [
        ("email", "string", True, ""),
        ("note", None, None, "free text"),
        ("rating", None, None, ""),
    ]
    path.write_text("legal_basis: legitimate interest\nconsent: yes\ncolumns:\n  when: {tpye: date}\n")
    with pytest.raises(InputError) as err:
        load_datasheet(path)
    text = str(err.value)
    assert "did you mean 'legitimate_interests'?" in text
    assert "consent: Input should be a valid dictionary" in text and "(expected a mapping: obtained, mechanism" in text
    assert "columns.when.tpye: unknown key" in text  # the column by name, not by position


def test_headerless_file_without_header_false_names_the_fix_not_the_data(shared_data, local_settings):
    path = str(shared_data / "ecommerce" / "Musical_instruments_reviews.csv")
    sheet = _sheet(columns=[ColumnSpec(name=c) for c in REVIEW_COLUMNS])
    with pytest.raises(InputError) as err:
        inspect_dataset(path, sheet, local_settings)
    text = str(err.value)
    assert "none of the 9 column(s) named in the datasheet is in the file's first row (9 fields)" in text
    assert "format: {header: false}" in text
    first_row = pd.read_csv(path, header=None, nrows=1).iloc[0].astype(str)
    # a reviewer's id and name are data, not column names (short values such as a rating of 5 may occur in a path)
    assert not any(value in text for value in first_row if len(value) > 3)


def test_datasheet_missing_fields_are_listed_not_raised(tmp_path):
    path = tmp_path / "sheet.yaml"
    path.write_text("owner: data-team\n")
    sheet = load_datasheet(path)
    assert sheet.missing_fields(["owner", "source", "legal_basis"]) == ["source", "legal_basis"]


@pytest.mark.parametrize("text,days", [("P2Y", 730), ("P90D", 90), ("90d", 90), ("6m", 180), ("P1Y6M", 545)])
def test_retention_periods(text, days):
    assert parse_retention(text).days == days


def test_a_header_wider_than_the_limit_is_refused_before_any_value_is_read(tmp_path, local_settings):
    """A 6 MB single-line "CSV" (a million fields) is one clear error in seconds, not a crash in pyarrow."""
    path = tmp_path / "oneline.csv"
    path.write_text(",".join(f"c{i}" for i in range(1_000_000)))
    with pytest.raises(InputError, match=r"oneline.csv has 1,000,000 columns \(limit 4,096\)"):
        inspect_dataset(str(path), _sheet(), local_settings)
    wide = tmp_path / "wide.csv"
    wide.write_text(",".join(f"c{i}" for i in range(50)) + "\n" + ",".join("1" * 50) + "\n")
    with pytest.raises(InputError, match="has 50 columns"):
        inspect_dataset(str(wide), _sheet(), local_settings, max_columns=49)
    assert len(inspect_dataset(str(wide), _sheet(), local_settings, max_columns=50).columns) == 50


def test_nul_bytes_and_repeated_column_names_are_failed_checks(tmp_path, local_settings):
    from govgate.checks.input import input_checks

    path = tmp_path / "odd.csv"
    path.write_bytes(b"id,amount,amount,name\n1,2,3,al\x00ice\n4,5,6,bob\n")
    info = inspect_dataset(str(path), _sheet(), local_settings)
    assert info.columns == ["id", "amount", "amount.1", "name"] and info.duplicate_columns == ["amount"]
    assert [list(c.columns) for c in iter_chunks(info, 100)] == [info.columns]
    checks = {c.id: c for c in input_checks(info)}
    nul, dup = checks["data.input.nul_bytes"], checks["data.input.duplicate_columns"]
    assert nul.outcome == "fail" and nul.metrics[0].value == 1 and "1 NUL byte(s)" in nul.message
    assert dup.outcome == "fail" and "['amount']" in dup.message and "['amount.1']" in dup.message

    clean = tmp_path / "clean.csv"
    clean.write_bytes(b"id,amount\n1,2\n")
    outcomes = {c.id: c.outcome for c in input_checks(inspect_dataset(str(clean), _sheet(), local_settings))}
    assert outcomes == {"data.input.nul_bytes": "pass", "data.input.duplicate_columns": "pass"}


def test_headerless_csv_without_a_datasheet_is_refused_without_quoting_the_row(shared_data, local_settings):
    """With nothing saying whether there is a header row, a first row of data (a reviewer's id and name) is
    refused before it can become column names; the error names the file and the fix, not the values."""
    path = str(shared_data / "ecommerce" / "Musical_instruments_reviews.csv")
    with pytest.raises(InputError) as err:
        inspect_dataset(path, _sheet(), local_settings)
    text = str(err.value)
    assert path in text and "the first row looks like data" in text and "format: {header: false}" in text
    first_row = pd.read_csv(path, header=None, nrows=1).iloc[0].astype(str)
    assert not any(value in text for value in first_row if len(value) > 3)
    # the datasheet's explicit word wins: header: true reads the first row as names (the user's choice)
    assert len(inspect_dataset(path, _sheet(format=FileFormat(header=True)), local_settings).columns) == 9


@pytest.mark.parametrize(
    "text,is_data",
    [
        ("id,amount\n1,2\n3,4\n", False),
        ("name,age\nAn,30\nBinh,41\n", False),
        (",name,score\n0,An,1.5\n1,Binh,2.5\n", False),  # pandas' unnamed index column
        ("country,2019,2020\nVN,1.2,3.4\nTH,2.2,1.1\n", False),  # years as column names
        ("email\nan@example.com\n", False),
        ("An,30\nBinh,41\nChi,25\n", True),
        ("an@example.com,Nguyen Van An\nbinh@example.com,Tran Binh\n", True),
        ("A2IBPI20UZIR0U,1384719342,[0, 0],5,1393545600\nA14VAT5EAX3D9S,1384719342,[13, 14],5,1363392000\n", True),
    ],
)
def test_first_row_of_data_is_told_from_a_header(tmp_path, local_settings, text, is_data):
    path = tmp_path / "data.csv"
    path.write_text(text)
    if not is_data:
        assert inspect_dataset(str(path), _sheet(), local_settings).columns == text.split("\n")[0].split(",")
        return
    with pytest.raises(InputError, match="the first row looks like data"):
        inspect_dataset(str(path), _sheet(), local_settings)

"""The names other systems see: MLflow tags, artifact and file names, store prefixes, event names.

One home for every string govgate writes into another system, so that a reader (the poll, the package
builder, an auditor's query) and the writer can never spell a name two ways. Each gate writes one tag
family on a model version: ``govgate.<gate>.decision|record_uri|record_id`` (see :func:`gate_tag`).
"""

from __future__ import annotations

# Gate names (record.gate, the store layout, the tag family).
DATA_REVIEW = "data-review"
MODEL_REVIEW = "model-review"
LAUNCH_EVIDENCE = "launch-evidence"
RETENTION_PURGE = "retention-purge"
SELFTEST = "selftest"
REASSESSMENT = "reassessment"  # flows/reassessment.py: deployed versions against their approved baseline

# MLflow run tags written with every gate record.
RUN_GATE = "govgate.gate"
RUN_RECORD_ID = "govgate.record_id"
RUN_RECORD_URI = "govgate.record_uri"
RUN_DECISION = "govgate.decision"
RUN_SUBJECT_KIND = "govgate.subject.kind"
RUN_SUBJECT_ID = "govgate.subject.id"
RUN_SUBJECT_VERSION = "govgate.subject.version"
RUN_POLICY_NAME = "govgate.policy.name"
RUN_POLICY_TIER = "govgate.policy.tier"
RUN_POLICY_SHA256 = "govgate.policy.sha256"
RUN_PREFECT_FLOW_RUN_ID = "govgate.prefect_flow_run_id"
RUN_NOTE = "mlflow.note.content"  # MLflow's own tag: the run's description in its UI
RUN_PURGED = "govgate.retention.purged"  # a run whose raw-data artifacts a purge deleted

# Tags a user sets on a model version (or its registered model) to tell the gates what to use.
MODEL_TIER = "govgate.tier"
MODEL_EVAL_DATA = "govgate.eval_data"
MODEL_LABEL = "govgate.label"
MODEL_SENSITIVE = "govgate.sensitive"
MODEL_POS_LABEL = "govgate.pos_label"
MODEL_REASSESSMENT_DATA = "govgate.reassessment.data"  # fresh data location of a version / registered model
REASSESSMENT_DATE_COLUMN = "date"  # a fresh-data row's date when its file is not dated by name
REASSESSMENT_METRICS_ARTIFACT = "reassessment-metrics"  # Prefect table: judged metrics per group
REASSESSMENT_INCIDENT_CAUSE = "reassessment:"  # incident cause prefix: reassessment:<regression|drift>

# Per-gate result tags on a model version (one family per gate).
DECISION = "decision"
RECORD_URI = "record_uri"
RECORD_ID = "record_id"
PACKAGE_URI = "package_uri"
PACKAGE_ID = "package_id"
MANIFEST_SHA256 = "manifest_sha256"

# Older releases wrote the launch gate's package tags as govgate.launch.*; readers still accept them.
LEGACY_LAUNCH_FAMILY = "govgate.launch"


def gate_family(gate: str) -> str:
    """The tag family of a gate: ``launch-evidence`` -> ``govgate.launch_evidence``."""
    return "govgate." + gate.replace("-", "_")


def gate_tag(gate: str, field: str) -> str:
    """One tag of a gate's family, e.g. ``gate_tag(MODEL_REVIEW, DECISION)`` -> ``govgate.model_review.decision``."""
    return f"{gate_family(gate)}.{field}"


def read_gate_tag(tags: dict[str, str], gate: str, field: str) -> str | None:
    """A gate's tag from a model version's tags; the launch gate's legacy ``govgate.launch.*`` is accepted."""
    value = tags.get(gate_tag(gate, field))
    if value is None and gate == LAUNCH_EVIDENCE:
        value = tags.get(f"{LEGACY_LAUNCH_FAMILY}.{field}")
    return value


def parse_gate_tag(key: str) -> tuple[str, str] | None:
    """(gate, field) of a gate-family tag (``govgate.model_review.record_uri`` -> ``("model-review", "record_uri")``;
    the legacy ``govgate.launch.*`` -> the launch gate), None for any other tag."""
    family, _, name = key.rpartition(".")
    if family == LEGACY_LAUNCH_FAMILY:
        return LAUNCH_EVIDENCE, name
    if not family.startswith("govgate.") or family.count(".") != 1:
        return None
    return family[len("govgate.") :].replace("_", "-"), name


# Files of a published record (the manifest is written last: a record is complete only when it exists).
RECORD_JSON = "record.json"
REPORT_MD = "report.md"
REPORT_HTML = "report.html"
MANIFEST = "manifest.json"
RECORD_FILES = (RECORD_JSON, REPORT_MD, REPORT_HTML)

# Store layout.
EVIDENCE_PREFIX = "evidence/"
AUDIT_PREFIX = "audit/"
RETENTION_AUDIT_PREFIX = AUDIT_PREFIX + "retention-purge/"
INCIDENTS_PREFIX = "incidents/"  # incident events: legal records (e.g. breach logs kept >= 5 years)
ALWAYS_PROTECTED = (EVIDENCE_PREFIX, AUDIT_PREFIX, INCIDENTS_PREFIX)
OBJECT_KIND_TAG = "govgate-kind"  # object tag on audit files: retention-plan | retention-certificate

# Document kinds (the ``kind``/``schema`` field of JSON documents govgate writes).
FAIRNESS_SCHEMA = "govgate.fairness/1"
LAUNCH_PACKAGE_SCHEMA = "govgate.launch-package/1"
RETENTION_PLAN_KIND = "govgate.retention-plan"
RETENTION_CERTIFICATE_KIND = "govgate.retention-certificate"

# Prefect events.
REGISTRATION_EVENT = "mlflow.model_version.created"
BRIDGE_RESOURCE = "govgate.bridge"
BRIDGE_TEST_EVENT = BRIDGE_RESOURCE + ".test"  # MLflow's test_webhook() delivery: proves the path only
FAILED_ACTION_EVENT = "prefect.automation.action.failed"  # Prefect's: a trigger could not start a run

# Incidents (govgate/incidents): append-only, write-once events under incidents/<incident id>/events/.
INCIDENT_EVENT_SCHEMA = "govgate.incident-event/1"
INCIDENT_OPENED_EVENT = "govgate.incident.opened"  # Prefect event emitted when an incident opens
INCIDENT_RESOURCE_PREFIX = "govgate.incident."  # Prefect resource id: govgate.incident.<incident id>
INCIDENT_ASSET_RESOURCE_PREFIX = "govgate.asset."  # related resource: govgate.asset.<kind>.<id>
INCIDENT_LABEL_SEVERITY = "govgate.incident.severity"  # labels on the event's resources
INCIDENT_LABEL_CAUSE = "govgate.incident.cause"
INCIDENT_LABEL_ASSET_VERSION = "govgate.asset.version"

# The task of a registered model (classification, regression or generation): a generative model tagged
# ``govgate.task=generation`` is reviewed by the leakage probe alone, without evaluation data.
MODEL_TASK = "govgate.task"

# What the Prefect UI shows of a gate run (tasks/run_view.py): tags, state names and the decision event.
RUN_TAG = "govgate"  # every gate run carries it; with gate:<gate>, decision:<decision>, tier:<tier>
RUN_TAG_GATE = "gate:"
RUN_TAG_DECISION = "decision:"
RUN_TAG_TIER = "tier:"
RUN_STATE_NAMES = {"pass": "Passed", "fail": "Gate failed", "needs-review": "Needs review", "error": "Gate error"}
GATE_DECIDED_EVENT = "govgate.gate.decided"  # emitted once per published record; automations match on it
GATE_RUN_RESOURCE = "govgate.gate-run."  # + record id: the event's resource id
EVENT_LABEL_GATE = "govgate.gate"  # resource labels of the decided event
EVENT_LABEL_DECISION = "govgate.decision"
EVENT_LABEL_TIER = "govgate.tier"
EVENT_LABEL_SUBJECT = "govgate.subject"
# Read-only HTTP route of `govgate serve` / `govgate stack` over the local evidence store.
EVIDENCE_ROUTE = "/" + EVIDENCE_PREFIX
# Registry tag (version or registered model): where a deployed model is used, comma-separated (EU, VN). A
# reassessment incident on it is opened as a possible serious incident there, so its legal clocks run.
MODEL_JURISDICTIONS = "govgate.jurisdictions"

# Portfolio gates (issue 17/18): each writes a gate record like any other.
INTAKE = "intake"  # intake questionnaire -> risk tier by legal rules (govgate/intake)
THIRD_PARTY_REVIEW = "third-party-review"  # vendor AI checklist with hashed evidence and expiry
INVENTORY_SYNC = "inventory-sync"  # the inventory of every AI asset, checked against the systems
AUDIT_REPORT = "audit-report"  # control coverage, KPIs, OSCAL, over a period, from records alone

# Named outputs (record.outputs) other readers rely on.
OUTPUT_RISK_TIER = "risk_tier"  # intake: {"tier", "rule", "citations", "regimes", "answers_sha256"}
OUTPUT_THIRD_PARTY_ITEMS = "third_party_items"  # [{"item", "status", "sha256", "expires"}]
OUTPUT_INVENTORY = "inventory"  # inventory-sync: snapshot key and counts

# Store layout of portfolio outputs (under audit/: protected from retention, written once).
INVENTORY_SNAPSHOTS_PREFIX = AUDIT_PREFIX + "inventory/"  # audit/inventory/<sync id>/inventory.{json,csv,html}
AUDIT_REPORTS_PREFIX = AUDIT_PREFIX + "reports/"  # audit/reports/<report id>/...
DASHBOARD_PREFIX = "dashboard/"  # regenerated governance dashboard (not evidence): dashboard/<generated at>/
INVENTORY_SCHEMA = "govgate.inventory/1"  # inventory.json: {schema, sync_id, synced_at, assets, gaps, disappeared}

# Third-party review (govgate/thirdparty): attachments and the vendor summary output.
THIRD_PARTY_EVIDENCE_DIR = "vendor-evidence/"  # record prefix folder: vendor-evidence/<item>/<sha256[:16]>.<ext>
OUTPUT_THIRD_PARTY_VENDOR = "third_party_vendor"  # {id, vendor, service, ai_act_role, facts, locations, ...}
THIRD_PARTY_ITEMS_ARTIFACT = "third-party-items"  # Prefect table: each checklist item's status and expiry
# Audit report and dashboard (issue 18, govgate/audit): the signed report folder and the served pages.
AUDIT_REPORT_SCHEMA = "govgate.audit-report/1"  # package.json of a signed audit report folder
AUDIT_REPORT_HTML = "index.html"  # audit/reports/<report id>/index.html: the report a person reads
AUDIT_REPORT_OSCAL = "assessment-results.json"  # OSCAL assessment-results of the same period
AUDIT_REPORT_DATA = "audit-data.json"  # the figures behind the report (coverage, KPIs, runs), as JSON
DASHBOARD_HTML = "index.html"  # dashboard/<generated at>/index.html
DASHBOARD_ROUTE = "/dashboard"  # `govgate serve`: the newest dashboard page
METRICS_ROUTE = "/metrics"  # `govgate serve`: the KPIs as Prometheus text
AUDIT_REPORTS_ROUTE = "/" + AUDIT_REPORTS_PREFIX  # `govgate serve`: signed audit report folders (read-only)
OUTPUT_AUDIT_REPORT = (
    "audit_report"  # audit-report gate: {report_id, folder, manifest_sha256, coverage_counts, kpis, ...}
)

# Governance KPIs in the Prometheus text format (govgate/audit/prometheus.py): metric name prefix; labels
PROMETHEUS_KPI_PREFIX = "govgate_kpi"  # govgate_kpi_value, govgate_kpi_numerator, govgate_kpi_denominator
PROMETHEUS_KPI_LABELS = ("kpi", "period", "unit")
# Inventory sources (issue 17): registry tags (version over registered model) that name an asset's owner and
# purpose, first found wins (``owner`` is the common MLflow convention); the inventory/ YAML can override.
MODEL_OWNER = "govgate.owner"
MODEL_PURPOSE = "govgate.purpose"
MODEL_OWNER_TAGS = (MODEL_OWNER, "owner")
MODEL_PURPOSE_TAGS = (MODEL_PURPOSE, "purpose")
MLFLOW_DATASET_CONTEXT_TAG = "mlflow.data.context"  # MLflow's own input tag: training | evaluation | ...
# Intake (govgate/intake): every rule of the decision tree that fired or stayed undecided, with its article.
OUTPUT_INTAKE_RULES = (
    "intake_rules"  # {"as_of", "legal_class", "rules_file_sha256", "rules_version", "fired", "undecided"}
)
INTAKE_FORM_KEY = "intake-answers"  # Prefect flow-run input key of the paused intake's form
TIER_REFUSED = "refused"  # OUTPUT_RISK_TIER.tier / govgate.tier of an asset the intake refused (prohibited)
# Reproducibility check (issue 18): a re-run is a gate record like any other whose parameters name the
# record it re-ran; the check publishes its own record listing the pairs and what could not be re-run.
REPRODUCIBILITY_CHECK = "reproducibility-check"
RERUN_OF_PARAMETER = "rerun_of"  # parameters[rerun_of] = the original record's id
OUTPUT_REPRODUCIBILITY = "reproducibility_reruns"  # {"seed", "sampled", "pairs": [...], "could_not_rerun": [...]}

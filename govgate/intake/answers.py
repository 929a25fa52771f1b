"""The intake questionnaire: typed answers about one AI asset, validated strictly.

Every yes/no question may be left unanswered (``null``): unknown is not "no". A rule that depends on an
unknown answer is undecided and the intake needs a review, so nobody tiers an asset down by not knowing.
An unknown key is an error naming the file and the key (a typo never reads as "unknown").
"""

from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from govgate.errors import InputError
from govgate.record import AssetKind
from govgate.yamlio import load_validated_file

Flag = StrictBool | None
ANNEX_III_AREAS = (
    "biometrics",
    "critical_infrastructure",
    "education",
    "employment",
    "essential_services",
    "law_enforcement",
    "migration",
    "justice_democracy",
)
ART_6_3_CONDITIONS = (
    "narrow_procedural_task",
    "improves_completed_human_activity",
    "detects_patterns_without_replacing_review",
    "preparatory_task",
)


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AssetAnswers(_Section):
    kind: AssetKind = Field(..., description="model, dataset, pipeline, third_party_tool, service or system")
    id: str = Field(..., min_length=1, description="the asset's id (a registered MLflow model: its name)")
    version: str | None = Field(None, description="one version, or null: the intake covers the asset")
    name: str = Field("", description="a readable name")
    owner: str = Field("", description="who answers for it (an e-mail address)")
    purpose: str = Field("", description="its intended purpose, in a sentence")
    registered_model: StrictBool = Field(False, description="true: a registered MLflow model, tagged with the tier")


class People(_Section):
    personal_data: Flag = Field(None, description="processes personal data")
    special_category_data: Flag = Field(None, description="processes special-category (sensitive) personal data")
    profiling: Flag = Field(None, description="profiles natural persons (GDPR Art. 4(4))")
    interacts_with_people: Flag = Field(None, description="interacts directly with natural persons")


class Biometrics(_Section):
    remote_identification: Flag = Field(None, description="remote biometric identification of people")
    realtime_public_law_enforcement: Flag = Field(
        None, description="real-time remote biometric identification in public spaces for law enforcement"
    )
    categorisation: Flag = Field(None, description="biometric categorisation of people")
    categorises_sensitive_traits: Flag = Field(
        None, description="infers race, political opinions, union membership, beliefs, sex life or orientation"
    )
    emotion_recognition: Flag = Field(None, description="infers emotions or intentions from biometric data")


class Practices(_Section):
    manipulative_techniques: Flag = Field(None, description="subliminal, manipulative or deceptive techniques")
    exploits_vulnerabilities: Flag = Field(None, description="exploits age, disability or social/economic situation")
    social_scoring: Flag = Field(None, description="scores people's social behaviour, leading to detrimental treatment")
    crime_risk_profiling_only: Flag = Field(None, description="predicts offending from profiling or traits alone")
    untargeted_face_scraping: Flag = Field(None, description="scrapes facial images from the internet or CCTV")
    emotion_at_work_or_school: Flag = Field(None, description="infers emotions at the workplace or in education")
    emotion_for_medical_or_safety: Flag = Field(None, description="...and that is for medical or safety reasons")
    rbi_authorised_exception: Flag = Field(
        None, description="real-time RBI strictly for Art. 5(1)(h)(i)-(iii) purposes, authorised under Art. 5(3)"
    )
    intimate_imagery_or_csam: Flag = Field(None, description="generates non-consensual intimate imagery or CSAM")


class EUAnswers(_Section):
    annex_i_product: Flag = Field(
        None, description="a product or safety component under Annex I law needing third-party conformity assessment"
    )
    annex_iii_areas: list[Literal[ANNEX_III_AREAS]] | None = Field(  # type: ignore[valid-type]
        None, description="Annex III areas it is used in: " + ", ".join(ANNEX_III_AREAS) + " ([] for none)"
    )
    art_6_3_conditions: list[Literal[ART_6_3_CONDITIONS]] | None = Field(  # type: ignore[valid-type]
        None, description="Art. 6(3) conditions claimed: " + ", ".join(ART_6_3_CONDITIONS) + " ([] for none)"
    )


class Content(_Section):
    generates_synthetic_media: Flag = Field(None, description="generates synthetic audio, image, video or text")
    deep_fake: Flag = Field(None, description="generates or manipulates deep fakes")
    public_interest_text: Flag = Field(None, description="publishes AI text informing the public on public matters")
    human_editorial_review: Flag = Field(None, description="...under human editorial review and responsibility")


class GPAI(_Section):
    is_gpai_model: Flag = Field(None, description="a general-purpose AI model (AI Act Art. 3(63))")
    training_compute_flop: float | None = Field(None, ge=0, description="cumulative training compute, FLOP")
    commission_designated: Flag = Field(None, description="designated by the Commission as having systemic risk")
    placed_on_market: date | None = Field(None, description="when the model was placed on the EU market")


class VNAnswers(_Section):
    significant_harm: Flag = Field(
        None, description="may significantly harm life, health, rights and interests, national or public interest"
    )
    may_mislead_users_about_ai: Flag = Field(None, description="may confuse users who do not know it is AI")
    unlawful_training_data: Flag = Field(None, description="data used in breach of data, PDP, IP or cyber law")
    defeats_oversight_or_labels: Flag = Field(None, description="disables oversight, hides disclosures or labels")
    sector: Literal["health", "education", "finance", "other"] | None = Field(None, description="its sector")


class Answers(_Section):
    """The intake questionnaire (``govgate intake template`` prints it with these descriptions)."""

    asset: AssetAnswers
    intake_date: date | None = Field(None, description="assess as of this day (default: today, UTC)")
    markets: list[Literal["EU", "VN"]] | None = Field(
        None, description="where it is placed on the market, put into service or its output used: EU, VN"
    )
    role: Literal["provider", "deployer"] | None = Field(None, description="AI Act role: provider or deployer")
    in_service_since: date | None = Field(None, description="first put into service (null: not yet)")
    people: People = Field(default_factory=People)
    biometrics: Biometrics = Field(default_factory=Biometrics)
    practices: Practices = Field(default_factory=Practices)
    eu: EUAnswers = Field(default_factory=EUAnswers)
    content: Content = Field(default_factory=Content)
    gpai: GPAI = Field(default_factory=GPAI)
    vn: VNAnswers = Field(default_factory=VNAnswers)

    def value(self, key: str) -> Any:
        """The answer at a dotted key (``people.profiling``); KeyError for a key the questionnaire lacks."""
        node: Any = self
        for part in key.split("."):
            if not isinstance(node, BaseModel) or part not in type(node).model_fields:
                raise KeyError(key)
            node = getattr(node, part)
        return node.value if isinstance(node, AssetKind) else node

    def sha256(self) -> str:
        """Digest of the answers as validated (canonical JSON), whatever file or form they came from."""
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()


def load_answers(path: str | Path) -> Answers:
    """Read and validate an answers file; every problem names the file and the dotted key."""
    answers, _ = load_validated_file(
        path, Answers, what="intake answers file", expected="a mapping with keys asset, markets, ...", error=InputError
    )
    return answers

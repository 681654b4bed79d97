"""Stable names of every stored event and aggregate type.

eventsourcing stores each event under a topic, "module:QualName". Were a class
moved or renamed, events already in the log would no longer resolve. These
names are frozen here and registered with ``register_topic``; a test checks
that each class still stores under its name. After a move, keep the old name
in ``STORED_TOPICS`` pointing at the new class: old events stay readable.
"""

from __future__ import annotations

from eventsourcing.utils import register_topic, resolve_topic

from citynet.domain.calendar import Calendar
from citynet.domain.city import City, CityName
from citynet.domain.declaration import Declaration
from citynet.domain.network import Network
from citynet.domain.organisation import Organisation, OrganisationName
from citynet.domain.person import Erasure
from citynet.domain.plan import ActionPlan
from citynet.domain.project import OutputClaim, Project
from citynet.domain.protocol import Protocol
from citynet.domain.translation import Translations
from citynet.domain.workshop import Workshop

# topic as stored -> the class it names today
STORED_TOPICS: dict[str, type] = {
    "citynet.domain.city:City": City,
    "citynet.domain.city:City.Registered": City.Registered,
    "citynet.domain.city:CityName": CityName,
    "citynet.domain.city:CityName.Claimed": CityName.Claimed,
    "citynet.domain.declaration:Declaration": Declaration,
    "citynet.domain.declaration:Declaration.Drafted": Declaration.Drafted,
    "citynet.domain.declaration:Declaration.RevisionStarted": Declaration.RevisionStarted,
    "citynet.domain.declaration:Declaration.VersionAdopted": Declaration.VersionAdopted,
    "citynet.domain.declaration:Declaration.VersionAnswered": Declaration.VersionAnswered,
    "citynet.domain.declaration:Declaration.VersionProposed": Declaration.VersionProposed,
    "citynet.domain.declaration:Declaration.VersionRejected": Declaration.VersionRejected,
    "citynet.domain.network:Network": Network,
    "citynet.domain.network:Network.CommissionAdded": Network.CommissionAdded,
    "citynet.domain.network:Network.CommissionHeadNamed": Network.CommissionHeadNamed,
    "citynet.domain.network:Network.CommissionHeadshipEnded": Network.CommissionHeadshipEnded,
    "citynet.domain.network:Network.CommissionMemberAssigned": Network.CommissionMemberAssigned,
    "citynet.domain.network:Network.Founded": Network.Founded,
    "citynet.domain.network:Network.MemberAdmitted": Network.MemberAdmitted,
    "citynet.domain.network:Network.MemberLeft": Network.MemberLeft,
    "citynet.domain.network:Network.MemberRoleChanged": Network.MemberRoleChanged,
    "citynet.domain.organisation:Organisation": Organisation,
    "citynet.domain.organisation:Organisation.Registered": Organisation.Registered,
    "citynet.domain.organisation:OrganisationName": OrganisationName,
    "citynet.domain.organisation:OrganisationName.Claimed": OrganisationName.Claimed,
    "citynet.domain.workshop:Workshop": Workshop,
    "citynet.domain.workshop:Workshop.Cancelled": Workshop.Cancelled,
    "citynet.domain.workshop:Workshop.CapacityChanged": Workshop.CapacityChanged,
    "citynet.domain.workshop:Workshop.CityQuotaSet": Workshop.CityQuotaSet,
    "citynet.domain.workshop:Workshop.Confirmed": Workshop.Confirmed,
    "citynet.domain.workshop:Workshop.DatePollAnswered": Workshop.DatePollAnswered,
    "citynet.domain.workshop:Workshop.DatePollClosed": Workshop.DatePollClosed,
    "citynet.domain.workshop:Workshop.DatePollOpened": Workshop.DatePollOpened,
    "citynet.domain.workshop:Workshop.DelegateRegistered": Workshop.DelegateRegistered,
    "citynet.domain.workshop:Workshop.Held": Workshop.Held,
    "citynet.domain.workshop:Workshop.Proposed": Workshop.Proposed,
    "citynet.domain.workshop:Workshop.RegistrationPromoted": Workshop.RegistrationPromoted,
    "citynet.domain.workshop:Workshop.RegistrationWithdrawn": Workshop.RegistrationWithdrawn,
    "citynet.domain.workshop:Workshop.Rescheduled": Workshop.Rescheduled,
    "citynet.domain.workshop:Workshop.Scheduled": Workshop.Scheduled,
    "citynet.domain.workshop:Workshop.SessionAdded": Workshop.SessionAdded,
    "citynet.domain.workshop:Workshop.SessionRemoved": Workshop.SessionRemoved,
    "citynet.domain.calendar:Calendar": Calendar,
    "citynet.domain.calendar:Calendar.Booked": Calendar.Booked,
    "citynet.domain.calendar:Calendar.Opened": Calendar.Opened,
    "citynet.domain.calendar:Calendar.Released": Calendar.Released,
    "citynet.domain.person:Erasure": Erasure,
    "citynet.domain.person:Erasure.PersonErased": Erasure.PersonErased,
    "citynet.domain.plan:ActionPlan": ActionPlan,
    "citynet.domain.plan:ActionPlan.ActionAdded": ActionPlan.ActionAdded,
    "citynet.domain.plan:ActionPlan.ActionRemoved": ActionPlan.ActionRemoved,
    "citynet.domain.plan:ActionPlan.ActionUpdated": ActionPlan.ActionUpdated,
    "citynet.domain.plan:ActionPlan.Drafted": ActionPlan.Drafted,
    "citynet.domain.plan:ActionPlan.MilestoneAdded": ActionPlan.MilestoneAdded,
    "citynet.domain.plan:ActionPlan.ProgressReported": ActionPlan.ProgressReported,
    "citynet.domain.plan:ActionPlan.ResponsibilityHandedOver": ActionPlan.ResponsibilityHandedOver,
    "citynet.domain.plan:ActionPlan.RevisionStarted": ActionPlan.RevisionStarted,
    "citynet.domain.plan:ActionPlan.VersionAdopted": ActionPlan.VersionAdopted,
    "citynet.domain.plan:ActionPlan.VersionAnswered": ActionPlan.VersionAnswered,
    "citynet.domain.plan:ActionPlan.VersionProposed": ActionPlan.VersionProposed,
    "citynet.domain.plan:ActionPlan.VersionRejected": ActionPlan.VersionRejected,
    "citynet.domain.protocol:Protocol": Protocol,
    "citynet.domain.protocol:Protocol.Drafted": Protocol.Drafted,
    "citynet.domain.protocol:Protocol.RevisionStarted": Protocol.RevisionStarted,
    "citynet.domain.protocol:Protocol.StepAdded": Protocol.StepAdded,
    "citynet.domain.protocol:Protocol.StepRemoved": Protocol.StepRemoved,
    "citynet.domain.protocol:Protocol.StepUpdated": Protocol.StepUpdated,
    "citynet.domain.protocol:Protocol.VersionAdopted": Protocol.VersionAdopted,
    "citynet.domain.protocol:Protocol.VersionAnswered": Protocol.VersionAnswered,
    "citynet.domain.protocol:Protocol.VersionProposed": Protocol.VersionProposed,
    "citynet.domain.protocol:Protocol.VersionRejected": Protocol.VersionRejected,
    "citynet.domain.project:Project": Project,
    "citynet.domain.project:Project.Founded": Project.Founded,
    "citynet.domain.project:Project.Started": Project.Started,
    "citynet.domain.project:Project.Closed": Project.Closed,
    "citynet.domain.project:Project.Cancelled": Project.Cancelled,
    "citynet.domain.project:Project.PartnerAdmitted": Project.PartnerAdmitted,
    "citynet.domain.project:Project.PartnershipEnded": Project.PartnershipEnded,
    "citynet.domain.project:Project.LeadPartnerNamed": Project.LeadPartnerNamed,
    "citynet.domain.project:Project.OutputAttached": Project.OutputAttached,
    "citynet.domain.project:OutputClaim": OutputClaim,
    "citynet.domain.project:OutputClaim.Claimed": OutputClaim.Claimed,
    "citynet.domain.translation:Translations": Translations,
    "citynet.domain.translation:Translations.SourceLanguageDeclared": Translations.SourceLanguageDeclared,
    "citynet.domain.translation:Translations.Started": Translations.Started,
    "citynet.domain.translation:Translations.TextTranslated": Translations.TextTranslated,
}


def register_stored_topics() -> None:
    for topic, cls in STORED_TOPICS.items():
        try:
            if resolve_topic(topic) is cls:
                continue
        except Exception:  # noqa: BLE001 - not importable under that name any more: register it
            pass
        register_topic(topic, cls)


register_stored_topics()

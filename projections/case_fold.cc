#include "projections/case_fold.h"

#include <utility>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace ledger {

bool CaseCalendar::Set(const v1::CalendarPublished& calendar) {
  absl::StatusOr<BusinessCalendar> parsed =
      BusinessCalendar::FromProto(calendar);
  if (!parsed.ok()) return false;
  published_ = calendar;
  calendar_.emplace(*std::move(parsed));
  zone_.Set(calendar.time_zone());
  return true;
}

int64_t CaseCalendar::AcceptanceDue(int64_t time_us) const {
  if (!calendar_.has_value()) return 0;
  absl::StatusOr<absl::Time> due =
      calendar_->WorkingDaysAfter(absl::FromUnixMicros(time_us), 1);
  return due.ok() ? absl::ToUnixMicros(*due) : 0;
}

namespace case_fold {

void Received(const v1::ComplaintReceived& p, const CaseCalendar& calendar,
              v1::AnalysisCaseRow* row) {
  *row->mutable_received_day() = calendar.zone().DayOf(p.received_time_us());
  row->set_channel(p.channel());
  row->set_station_id(p.station_id());
  row->set_department_id(p.department_id());
  row->set_severity(v1::SEVERITY_GENERAL);
  row->set_green_channel(p.green_channel());
  row->set_acceptance_due_us(calendar.AcceptanceDue(p.received_time_us()));
  row->set_owner_agent_id(p.owner_agent_id());
  row->set_receiving_agent_id(p.receiving_agent_id());
  if (p.has_wait_seconds()) row->set_wait_seconds(p.wait_seconds());
  row->set_customer_type(p.customer_type());
}

void Classified(const v1::ComplaintClassified& p, v1::AnalysisCaseRow* row) {
  row->set_classified(true);
  row->set_kind(p.kind());
  row->set_category(p.category());
  row->set_importance(p.importance());
}

void Accepted(const v1::Event& event, v1::AnalysisCaseRow* row) {
  if (row->accepted()) return;
  row->set_accepted(true);
  row->set_accepted_in_time(row->acceptance_due_us() != 0 &&
                            event.recorded_time_us() <=
                                row->acceptance_due_us());
}

void Replied(const v1::Event& event, const v1::Replied& p,
             v1::AnalysisCaseRow* row) {
  if (row->green_channel()) Accepted(event, row);
  row->set_reply_outcome(p.outcome());
  if (!row->replied()) {
    row->set_replied(true);
    row->set_first_reply_within_deadline(p.within_deadline());
  }
}

void Revisited(const v1::RevisitRecorded& p, v1::AnalysisCaseRow* row) {
  if (p.revisit_kind() == v1::REVISIT_KIND_MONTH_END_SECOND) {
    row->set_month_end_revisit(true);
  } else {
    row->set_revisited(true);
    row->set_satisfaction(p.satisfaction());
  }
}

void AssistRequested(const v1::AssistRequested& p, v1::AnalysisCaseRow* row) {
  row->set_assist_requests(row->assist_requests() + 1);
  if (p.sent_within_deadline()) {
    row->set_assist_requests_in_time(row->assist_requests_in_time() + 1);
  }
}

}  // namespace case_fold

v1::Kpi MakeKpi(std::string name, std::string formula, int64_t numerator,
                int64_t denominator, double target, bool at_least) {
  v1::Kpi kpi;
  kpi.set_name(std::move(name));
  kpi.set_formula(std::move(formula));
  kpi.set_numerator(numerator);
  kpi.set_denominator(denominator);
  kpi.set_target(target);
  kpi.set_at_least(at_least);
  kpi.set_no_data(denominator == 0);
  if (denominator > 0) {
    kpi.set_value(static_cast<double>(numerator) /
                  static_cast<double>(denominator));
    kpi.set_pass(at_least ? kpi.value() >= target : kpi.value() <= target);
  }
  return kpi;
}

void MarkPendingUnlessEnded(const v1::YearMonth& month, int64_t now_us,
                            const SiteZone& zone,
                            google::protobuf::RepeatedPtrField<v1::Kpi>* kpis) {
  const absl::Time end = absl::FromCivil(
      absl::CivilMonth(month.year(), month.month()) + 1, zone.zone());
  if (absl::FromUnixMicros(now_us) >= end) return;
  for (v1::Kpi& kpi : *kpis) {
    kpi.set_pending(true);
    kpi.set_pass(false);
  }
}

void CaseTally::Add(const v1::AnalysisCaseRow& c) {
  ++cases_;
  if (c.acceptance_due_us() != 0) {
    ++acceptance_known_;
    accepted_in_time_ += c.accepted_in_time();
  }
  closed_ += c.closed();
  if (c.revisited()) {
    ++revisited_;
    satisfied_ += c.satisfaction() == v1::SATISFACTION_VERY_SATISFIED ||
                  c.satisfaction() == v1::SATISFACTION_SATISFIED;
  }
  const bool complaint = c.kind() == v1::INFO_KIND_COMPLAINT;
  if (complaint) {
    ++complaints_;
    repeats_ += c.severity() >= v1::SEVERITY_REPEAT;
    if (c.closed()) {
      ++complaints_closed_;
      month_end_ += c.month_end_revisit();
    }
  }
  const int quota = complaint                                  ? 0
                    : c.kind() == v1::INFO_KIND_REPAIR_REQUEST ? 1
                                                               : 2;
  ++quota_cases_[quota];
  quota_revisited_[quota] += c.revisited();
  if (c.replied()) {
    ++replied_;
    replied_in_time_ += c.first_reply_within_deadline();
  }
  assists_ += c.assist_requests();
  assists_in_time_ += c.assist_requests_in_time();
  if (c.has_wait_seconds()) {
    if (c.channel() == v1::CHANNEL_PHONE) {
      ++phone_waits_;
      phone_in_norm_ += c.wait_seconds() <= kPhoneAnswerNormSeconds;
    } else if (c.channel() == v1::CHANNEL_CHAT) {
      ++chat_waits_;
      chat_in_norm_ += c.wait_seconds() <= kChatAnswerNormSeconds;
    }
  }
}

void CaseTally::AssessmentKpis(
    google::protobuf::RepeatedPtrField<v1::Kpi>* out) const {
  *out->Add() = MakeKpi(
      "timely acceptance",
      "cases accepted (first track, or first reply on the green channel) "
      "by the end of the first working day after intake / cases with a "
      "computable deadline",
      accepted_in_time_, acceptance_known_, 0.95, true);
  *out->Add() = MakeKpi("resolution", "cases signed off / cases", closed_,
                        cases_, 0.90, true);
  *out->Add() = MakeKpi(
      "satisfaction",
      "cases whose latest first revisit was very satisfied or satisfied / "
      "cases revisited",
      satisfied_, revisited_, 0.80, true);
  *out->Add() =
      MakeKpi("repeat rate", "complaints repeat or malicious / complaints",
              repeats_, complaints_, 0.05, false);
}

void CaseTally::ServiceNormKpis(
    google::protobuf::RepeatedPtrField<v1::Kpi>* out) const {
  *out->Add() = MakeKpi(
      "phone answered within 10 s",
      "phone intakes whose customer waited at most 10 s / phone intakes with "
      "a recorded wait (the ledger's target: every one)",
      phone_in_norm_, phone_waits_, 1.00, true);
  *out->Add() = MakeKpi(
      "chat answered within 3 min",
      "chat intakes whose customer waited at most 180 s / chat intakes with "
      "a recorded wait (the ledger's target: every one)",
      chat_in_norm_, chat_waits_, 1.00, true);
}

void CaseTally::CentreKpis(
    google::protobuf::RepeatedPtrField<v1::Kpi>* out) const {
  AssessmentKpis(out);
  *out->Add() =
      MakeKpi("revisit rate, complaints", "complaints revisited / complaints",
              quota_revisited_[0], quota_cases_[0], 1.00, true);
  *out->Add() = MakeKpi("revisit rate, repair requests",
                        "repair requests revisited / repair requests",
                        quota_revisited_[1], quota_cases_[1], 0.30, true);
  *out->Add() = MakeKpi(
      "revisit rate, other kinds",
      "other cases revisited / other cases (inquiries, suggestions, ..., "
      "unclassified)",
      quota_revisited_[2], quota_cases_[2], 0.10, true);
  *out->Add() = MakeKpi(
      "month-end second revisit",
      "complaints signed off with a month-end second revisit / complaints "
      "signed off",
      month_end_, complaints_closed_, 0.50, true);
  *out->Add() = MakeKpi("replies within deadline",
                        "first replies within their deadline / cases replied",
                        replied_in_time_, replied_, 1.00, true);
  *out->Add() =
      MakeKpi("assist requests within cut-off",
              "assist requests sent before their cut-off / assist requests",
              assists_in_time_, assists_, 1.00, true);
  ServiceNormKpis(out);
}

}  // namespace ledger

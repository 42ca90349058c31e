// The lecture notes' measurable claims, and how the results bear on each.
//
// The catalogue lists every claim once, with the suite that would measure it. Suite views judge
// the claims their data can speak to (SuiteView::Claims); a claim no view judged is reported as
// "not measured yet", naming the suite. Verdicts come from the results data only.
#pragma once

#include <string>
#include <vector>

#include "results/results.h"

namespace ctv::reports {

// kNotMeasured: these results lack the data (the suite did not run, or not for the drivers the
// claim compares) — another run on this host could judge it. kCannotMeasureHere: this host lacks
// what the measurement needs (e.g. usable KVM); the explanation names what, so a reader knows that
// re-running here will not help.
enum class ClaimVerdict { kHolds, kNuanced, kDoesNotHold, kNotMeasured, kCannotMeasureHere };
// "holds", "holds with nuance", "does not hold here", "not measured yet",
// "cannot be measured here".
const char* ClaimVerdictName(ClaimVerdict v);

struct Claim {
  std::string id;           // "startup.container_ms"
  std::string statement;    // the claim as the notes make it
  std::string measured_by;  // the suite whose results can judge it
};

// Every measurable claim of the lecture notes, in presentation order.
const std::vector<Claim>& ClaimCatalogue();

struct ClaimCheck {
  std::string claim_id;
  ClaimVerdict verdict = ClaimVerdict::kNotMeasured;
  std::string measured;     // the figure(s), with unit and n: "ctvrt median 4.1 ms (n=30)"
  std::string explanation;  // one sentence
};

struct ClaimRow {
  Claim claim;
  ClaimCheck check;
};

// One row per catalogue claim: the first check any registered view gave for it, else "not
// measured yet (the <suite> suite would measure it)".
std::vector<ClaimRow> EvaluateClaims(const results::RunResults& run);

}  // namespace ctv::reports

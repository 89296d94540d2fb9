// A fingerprint of a federation, so a resumed run can check that it trains on the very data the
// checkpoint was taken with (a changed CSV, data version or partition would silently mix runs).
#pragma once

#include <string>

#include "sim/data/dataset.h"

namespace fedsim {

// SHA-256 (hex) over the shapes, features, labels and client offsets of the train and test splits.
std::string federation_fingerprint(const Federation& f);

}  // namespace fedsim

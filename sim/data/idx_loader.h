// IDX loader (the format of MNIST and Fashion-MNIST), gzip-compressed or plain, via zlib.
//
// An IDX file is a big-endian header -- magic 0x0000TTDD (TT = element type, DD = number of
// dimensions), then DD 32-bit sizes -- followed by the elements. Only unsigned bytes (TT = 0x08)
// are supported: images are 3-dimensional (count, rows, cols), labels 1-dimensional (count).
// Every error is a std::runtime_error "PATH: problem".
#pragma once

#include <string>

#include "sim/data/dataset.h"
#include "sim/scenario.h"

namespace fedsim {

// Reads an image file (magic 0x00000803) and a label file (magic 0x00000801), each gzip or plain.
// Features are the pixels scaled to [0, 1] (d = rows * cols, row-major, named "px_R_C"), labels
// int32, classes = max label + 1 (at least 2). No group ids (the data has no natural clients).
Dataset load_idx(const std::string& images_path, const std::string& labels_path);

// Fashion-MNIST: the directory that the Debian package dataset-fashion-mnist installs to.
inline constexpr const char* kFashionMnistDir = "/usr/share/datasets/fashion-mnist";

// The four file names of Fashion-MNIST (and MNIST) in a directory.
struct IdxFiles {
  std::string train_images, train_labels, test_images, test_labels;
};
IdxFiles fashion_mnist_files(const std::string& dir);

// Empty when every file of fashion_mnist_files(dir) is a readable regular file; otherwise the
// problem, naming the missing file and the command that installs the data.
std::string fashion_mnist_problem(const std::string& dir);

// The official train and test splits (60,000 + 10,000 images of 28x28, 10 classes) from `dir`.
struct TrainTest {
  Dataset train, test;
};
TrainTest load_fashion_mnist(const std::string& dir);

}  // namespace fedsim

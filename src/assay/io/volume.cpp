#include "assay/io/volume.h"

#include <fmt/format.h>

#ifdef ASSAY_WITH_ITK
#include <itkImageFileReader.h>
#include <itkImageIOBase.h>
#include <itkImageIOFactory.h>
#include <itkMetaImageIOFactory.h>
#include <itkNiftiImageIOFactory.h>
#include <itkNrrdImageIOFactory.h>
#include <itkPNGImageIOFactory.h>
#include <itkVectorImage.h>

#include <mutex>
#endif

namespace assay::io {

#ifdef ASSAY_WITH_ITK

bool VolumesSupported() { return true; }

namespace {

// The readers of the four formats assay documents, registered once.
void RegisterReaders() {
  static std::once_flag once;
  std::call_once(once, [] {
    itk::NiftiImageIOFactory::RegisterOneFactory();
    itk::NrrdImageIOFactory::RegisterOneFactory();
    itk::MetaImageIOFactory::RegisterOneFactory();
    itk::PNGImageIOFactory::RegisterOneFactory();
  });
}

std::string FormatName(const itk::ImageIOBase& io) {
  std::string name = io.GetNameOfClass();
  if (name == "NiftiImageIO") return "NIfTI";
  if (name == "NrrdImageIO") return "NRRD";
  if (name == "MetaImageIO") return "MetaImage";
  if (name == "PNGImageIO") return "PNG";
  return name;
}

}  // namespace

Result<Volume> LoadVolume(const std::string& path) {
  RegisterReaders();
  itk::ImageIOBase::Pointer io = itk::ImageIOFactory::CreateImageIO(
      path.c_str(), itk::ImageIOFactory::IOFileModeEnum::ReadMode);
  if (!io) {
    return InvalidInput(fmt::format(
        "{}: not a volume assay reads (NIfTI, NRRD, MetaImage or PNG), or it cannot be opened",
        path));
  }
  Volume volume;
  volume.format = FormatName(*io);
  if (volume.format != "NIfTI" && volume.format != "NRRD" && volume.format != "MetaImage" &&
      volume.format != "PNG") {
    return InvalidInput(fmt::format("{}: {} files are not read as volumes", path, volume.format));
  }
  try {
    io->SetFileName(path);
    io->ReadImageInformation();
    if (io->GetNumberOfDimensions() > 3) {
      return InvalidInput(
          fmt::format("{}: {} dimensions (at most 3 are read)", path, io->GetNumberOfDimensions()));
    }
    using Image = itk::VectorImage<float, 3>;
    auto reader = itk::ImageFileReader<Image>::New();
    reader->SetFileName(path);
    reader->SetImageIO(io);
    reader->Update();
    const Image* image = reader->GetOutput();
    const auto region = image->GetLargestPossibleRegion();
    for (unsigned d = 0; d < 3; ++d) {
      volume.size[d] = region.GetSize()[d];
      volume.spacing[d] = image->GetSpacing()[d];
      volume.origin[d] = image->GetOrigin()[d];
      for (unsigned e = 0; e < 3; ++e) volume.direction[3 * d + e] = image->GetDirection()[d][e];
    }
    volume.components = image->GetNumberOfComponentsPerPixel();
    const std::size_t count = volume.size[0] * volume.size[1] * volume.size[2] * volume.components;
    const float* data = image->GetBufferPointer();
    volume.values.assign(data, data + count);
  } catch (const itk::ExceptionObject& error) {
    return InvalidInput(
        fmt::format("{}: {} cannot be read: {}", path, volume.format, error.GetDescription()));
  }
  return volume;
}

#else  // built without ITK

bool VolumesSupported() { return false; }

Result<Volume> LoadVolume(const std::string& path) {
  return InvalidInput(fmt::format(
      "{}: this assay was built without ITK (configure with -DASSAY_WITH_ITK=ON to read volumes)",
      path));
}

#endif

}  // namespace assay::io

#include "assay/io/jpeg2000.h"

#include <dcmtk/config/osconfig.h>  // must come first among DCMTK's headers
//
#include <dcmtk/dcmdata/dccodec.h>
#include <dcmtk/dcmdata/dcdatset.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcpixel.h>
#include <dcmtk/dcmdata/dcpixseq.h>
#include <dcmtk/dcmdata/dcpxitem.h>
#include <fmt/format.h>
#include <openjpeg.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <vector>

namespace assay::io {
namespace {

// An OpenJPEG input stream over bytes in memory.
struct MemoryStream {
  const std::vector<Uint8>* bytes;
  std::size_t offset = 0;
};

OPJ_SIZE_T ReadBytes(void* buffer, OPJ_SIZE_T size, void* user) {
  auto* stream = static_cast<MemoryStream*>(user);
  const std::size_t left = stream->bytes->size() - stream->offset;
  if (left == 0) return static_cast<OPJ_SIZE_T>(-1);
  const std::size_t count = std::min<std::size_t>(size, left);
  std::memcpy(buffer, stream->bytes->data() + stream->offset, count);
  stream->offset += count;
  return count;
}

OPJ_OFF_T SkipBytes(OPJ_OFF_T count, void* user) {
  auto* stream = static_cast<MemoryStream*>(user);
  const auto target = static_cast<OPJ_OFF_T>(stream->offset) + count;
  if (target < 0 || target > static_cast<OPJ_OFF_T>(stream->bytes->size())) return -1;
  stream->offset = static_cast<std::size_t>(target);
  return count;
}

OPJ_BOOL SeekBytes(OPJ_OFF_T position, void* user) {
  auto* stream = static_cast<MemoryStream*>(user);
  if (position < 0 || position > static_cast<OPJ_OFF_T>(stream->bytes->size())) return OPJ_FALSE;
  stream->offset = static_cast<std::size_t>(position);
  return OPJ_TRUE;
}

struct CodecDeleter {
  void operator()(opj_codec_t* codec) const { opj_destroy_codec(codec); }
};
struct StreamDeleter {
  void operator()(opj_stream_t* stream) const { opj_stream_destroy(stream); }
};
struct ImageDeleter {
  void operator()(opj_image_t* image) const { opj_image_destroy(image); }
};

// One frame's codestream: a raw J2K codestream, or a JP2 file (some writers wrap it).
Result<std::unique_ptr<opj_image_t, ImageDeleter>> DecodeFrame(const std::vector<Uint8>& bytes) {
  const bool jp2 = bytes.size() >= 12 && bytes[4] == 'j' && bytes[5] == 'P';
  std::unique_ptr<opj_codec_t, CodecDeleter> codec(
      opj_create_decompress(jp2 ? OPJ_CODEC_JP2 : OPJ_CODEC_J2K));
  opj_dparameters_t parameters;
  opj_set_default_decoder_parameters(&parameters);
  if (!codec || !opj_setup_decoder(codec.get(), &parameters)) {
    return InvalidInput("OpenJPEG cannot set up a decoder");
  }
  MemoryStream memory{&bytes};
  std::unique_ptr<opj_stream_t, StreamDeleter> stream(opj_stream_create(1 << 16, OPJ_TRUE));
  opj_stream_set_user_data(stream.get(), &memory, nullptr);
  opj_stream_set_user_data_length(stream.get(), bytes.size());
  opj_stream_set_read_function(stream.get(), ReadBytes);
  opj_stream_set_skip_function(stream.get(), SkipBytes);
  opj_stream_set_seek_function(stream.get(), SeekBytes);
  opj_image_t* raw = nullptr;
  if (!opj_read_header(stream.get(), codec.get(), &raw)) {
    if (raw != nullptr) opj_image_destroy(raw);
    return InvalidInput("not a JPEG 2000 codestream");
  }
  std::unique_ptr<opj_image_t, ImageDeleter> image(raw);
  if (!opj_decode(codec.get(), stream.get(), image.get()) ||
      !opj_end_decompress(codec.get(), stream.get())) {
    return InvalidInput("the JPEG 2000 codestream cannot be decoded");
  }
  return image;
}

// The codestream of each frame: all fragments for a single frame, one
// fragment per frame otherwise.
Result<std::vector<std::vector<Uint8>>> FrameCodestreams(DcmPixelSequence& sequence,
                                                         std::size_t frames) {
  const unsigned long items = sequence.card();  // item 0 is the basic offset table
  if (items < 2) return InvalidInput("encapsulated pixel data without fragments");
  const std::size_t fragments = items - 1;
  if (frames != 1 && fragments != frames) {
    return InvalidInput(fmt::format(
        "{} JPEG 2000 fragments for {} frames: frames split across fragments are not supported",
        fragments, frames));
  }
  std::vector<std::vector<Uint8>> streams(frames);
  for (unsigned long i = 1; i < items; ++i) {
    DcmPixelItem* item = nullptr;
    if (sequence.getItem(item, i).bad() || item == nullptr) {
      return InvalidInput("an unreadable pixel data fragment");
    }
    Uint8* data = nullptr;
    if (item->getUint8Array(data).bad()) return InvalidInput("an unreadable pixel data fragment");
    auto& target = streams[frames == 1 ? 0 : i - 1];
    target.insert(target.end(), data, data + item->getLength());
  }
  return streams;
}

}  // namespace

Status DecodeJpeg2000PixelData(DcmDataset& dataset, const std::string& path) {
  auto fail = [&path](const std::string& why) {
    return InvalidInput(fmt::format("{}: JPEG 2000 pixel data: {}", path, why));
  };
  DcmElement* element = nullptr;
  if (dataset.findAndGetElement(DCM_PixelData, element).bad() || element == nullptr) {
    return fail("no pixel data");
  }
  auto* pixel_data = static_cast<DcmPixelData*>(element);
  DcmPixelSequence* sequence = nullptr;
  if (pixel_data->getEncapsulatedRepresentation(dataset.getOriginalXfer(), nullptr, sequence)
          .bad() ||
      sequence == nullptr) {
    return fail("not encapsulated");
  }
  Uint16 rows = 0;
  Uint16 columns = 0;
  Uint16 samples = 1;
  Uint16 bits_allocated = 0;
  Uint16 signed_pixels = 0;
  Sint32 frames = 1;
  (void)dataset.findAndGetUint16(DCM_Rows, rows);
  (void)dataset.findAndGetUint16(DCM_Columns, columns);
  (void)dataset.findAndGetUint16(DCM_SamplesPerPixel, samples);
  (void)dataset.findAndGetUint16(DCM_BitsAllocated, bits_allocated);
  (void)dataset.findAndGetUint16(DCM_PixelRepresentation, signed_pixels);
  if (dataset.findAndGetSint32(DCM_NumberOfFrames, frames).bad() || frames < 1) frames = 1;
  if (bits_allocated != 8 && bits_allocated != 16) {
    return fail(fmt::format("{} bits allocated (8 or 16 are supported)", bits_allocated));
  }
  auto streams = FrameCodestreams(*sequence, static_cast<std::size_t>(frames));
  if (!streams.ok()) return fail(streams.status().message());

  const std::size_t pixels = std::size_t{rows} * columns;
  const std::size_t per_frame = pixels * samples;
  std::vector<Uint16> wide(bits_allocated == 16 ? per_frame * frames : 0);
  std::vector<Uint8> narrow(bits_allocated == 8 ? per_frame * frames : 0);
  for (std::size_t frame = 0; frame < streams->size(); ++frame) {
    auto image = DecodeFrame((*streams)[frame]);
    if (!image.ok()) return fail(fmt::format("frame {}: {}", frame + 1, image.status().message()));
    const opj_image_t& decoded = **image;
    if (decoded.numcomps != samples) {
      return fail(
          fmt::format("{} components where Samples per Pixel is {}", decoded.numcomps, samples));
    }
    for (Uint16 c = 0; c < samples; ++c) {
      const opj_image_comp_t& component = decoded.comps[c];
      if (component.w != columns || component.h != rows || component.data == nullptr) {
        return fail(fmt::format("frame {} is {}x{}, not {}x{}", frame + 1, component.w, component.h,
                                columns, rows));
      }
      for (std::size_t i = 0; i < pixels; ++i) {
        const std::size_t at = frame * per_frame + i * samples + c;  // interleaved
        const OPJ_INT32 value = component.data[i];
        if (bits_allocated == 16) {
          wide[at] = static_cast<Uint16>(value);  // two's complement when signed
        } else {
          narrow[at] = static_cast<Uint8>(value);
        }
      }
    }
  }
  (void)signed_pixels;  // the stored bit pattern keeps its sign; Pixel Representation says how to
                        // read it
  (void)dataset.findAndDeleteElement(DCM_PixelData);
  const OFCondition put =
      bits_allocated == 16
          ? dataset.putAndInsertUint16Array(DCM_PixelData, wide.data(),
                                            static_cast<unsigned long>(wide.size()))
          : dataset.putAndInsertUint8Array(DCM_PixelData, narrow.data(),
                                           static_cast<unsigned long>(narrow.size()));
  if (put.bad()) return fail(put.text());
  if (samples == 3) {
    // OpenJPEG undoes the irreversible/reversible colour transform: the result is RGB.
    (void)dataset.putAndInsertString(DCM_PhotometricInterpretation, "RGB");
    (void)dataset.putAndInsertUint16(DCM_PlanarConfiguration, 0);
  }
  // The data set is now native: let DCMTK treat it as explicit little endian.
  dataset.removeAllButOriginalRepresentations();
  dataset.updateOriginalXfer();
  return Status::Ok();
}

}  // namespace assay::io

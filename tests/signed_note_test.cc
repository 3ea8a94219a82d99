// Signed notes and checkpoints (ledger/store/signed_note.h) against the
// published vectors: Go's golang.org/x/mod/sumdb/note keys and notes
// (Ed25519 is deterministic, so our signature must be byte for byte
// theirs), C2SP's example, a real sum.golang.org checkpoint, and the
// checkpoint parser cases of transparency-dev/formats.
#include "ledger/store/signed_note.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ledger {
namespace {

using ::testing::HasSubstr;

constexpr char kSkey[] =
    "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+"
    "Y7hfZx09iUvxdXHKDFz";
constexpr char kVkey[] =
    "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
constexpr char kText[] =
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n";
constexpr char kSignature[] =
    "\xE2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/"
    "SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJ"
    "nAM=\n";
constexpr char kOtherSignature[] =
    "\xE2\x80\x94 EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/"
    "5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";

TEST(SignedNoteTest, GosKeysSignByteForByteAsGoDoes) {
  absl::StatusOr<NoteSigner> signer = NoteSigner::Parse(kSkey);
  ASSERT_TRUE(signer.ok()) << signer.status();
  EXPECT_EQ(signer->verifier().Text(), kVkey);
  absl::StatusOr<std::string> note = signer->Sign(kText);
  ASSERT_TRUE(note.ok()) << note.status();
  EXPECT_EQ(*note, absl::StrCat(kText, "\n", kSignature));

  absl::StatusOr<NoteVerifier> verifier = NoteVerifier::Parse(kVkey);
  ASSERT_TRUE(verifier.ok()) << verifier.status();
  absl::StatusOr<std::string> text = verifier->Open(*note);
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(*text, kText);
  // Another key's signature besides is ignored, in either order.
  EXPECT_TRUE(
      verifier->Open(absl::StrCat(kText, "\n", kOtherSignature, kSignature))
          .ok());
  EXPECT_TRUE(
      verifier->Open(absl::StrCat(kText, "\n", kSignature, kOtherSignature))
          .ok());
  // Only another key's: refused.
  absl::StatusOr<std::string> others =
      verifier->Open(absl::StrCat(kText, "\n", kOtherSignature));
  EXPECT_EQ(others.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(others.status().message(), HasSubstr("no signature of key"));
  // A changed text or signature: refused.
  std::string changed = *note;
  changed[3] = 'X';
  EXPECT_EQ(verifier->Open(changed).status().code(),
            absl::StatusCode::kFailedPrecondition);
  std::string forged = *note;
  forged[forged.size() - 10] = forged[forged.size() - 10] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(verifier->Open(forged).ok());
}

TEST(SignedNoteTest, TheC2spExampleAndARealCheckpointVerify) {
  absl::StatusOr<NoteVerifier> example = NoteVerifier::Parse(
      "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k");
  ASSERT_TRUE(example.ok()) << example.status();
  EXPECT_TRUE(example
                  ->Open("This is an example message.\n\n\xE2\x80\x94 "
                         "example.com/foo "
                         "Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Z"
                         "tg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n")
                  .ok());
  // The key's base64 holds '+': split at the first two only.
  absl::StatusOr<NoteVerifier> sumdb = NoteVerifier::Parse(
      "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8");
  ASSERT_TRUE(sumdb.ok()) << sumdb.status();
  absl::StatusOr<std::string> text = sumdb->Open(
      "go.sum database tree\n6476701\n"
      "mb8QLQIs0Z0yP5Cstq6guj87oXWeC9gEM8oVikmm9Wk=\n\n\xE2\x80\x94 "
      "sum.golang.org Az3grsLX85Gz+s1SiTbgkuqxgItqFq7gsMUEyVnrsa9LM7Us9S+"
      "1xbFIGu95949rj4nPRYfvimWEPWL+o3GeoWwOoAw=\n");
  ASSERT_TRUE(text.ok()) << text.status();
  absl::StatusOr<Checkpoint> checkpoint = ParseCheckpointText(*text);
  ASSERT_TRUE(checkpoint.ok()) << checkpoint.status();
  EXPECT_EQ(checkpoint->origin, "go.sum database tree");
  EXPECT_EQ(checkpoint->size, 6476701u);
  EXPECT_EQ(CheckpointText(*checkpoint), *text);
}

TEST(SignedNoteTest, CheckpointsOfTheReferenceTreeSignAsPublished) {
  absl::StatusOr<NoteSigner> log = NoteSigner::Parse(
      "PRIVATE+KEY+Log+2271c621+AdEIq9FLRQni54Wg68T96VJO+iayOaulswav2DUMKgvQ");
  ASSERT_TRUE(log.ok()) << log.status();
  EXPECT_EQ(log->verifier().Text(),
            "Log+2271c621+AemuH5ooBpEPcr+W8onrjA1NfuzBVHdezakU81Ekarvs");
  Checkpoint eight{"Log", 8, {}};
  std::string root = absl::HexStringToBytes(
      "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328");
  std::copy(root.begin(), root.end(), eight.root.begin());
  EXPECT_EQ(
      *log->Sign(CheckpointText(eight)),
      "Log\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n\n\xE2\x80\x94 "
      "Log InHGISOpEz61FsCXu0BXpYJ8Cas8hE2zlWa/"
      "mDDeu9BBTZhaSC6TbTTFpa0XTqiFILMQ4wHwaJiyxacsRkxir1P5wg4=\n");
  Checkpoint empty{"Log", 0, merkle::EmptyRoot()};
  EXPECT_EQ(
      *log->Sign(CheckpointText(empty)),
      "Log\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n\n\xE2\x80\x94 "
      "Log InHGIVJg9NLzR4ekazNOVsGmfKDIGf+NZJGSwKNc2F5IIZ9mHZ6xCcQy9A8Zjd"
      "CQxaOTLVrX9/H8gedNc+Tck6Tv2AA=\n");
}

TEST(SignedNoteTest, BadKeysAndCheckpointsAreRefusedSayingWhy) {
  for (const char* bad : {
           "PeterNeumann+cc469956+"
           "ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==",
           "PeterNeumann+173116ae+"
           "ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
           "PeterNeumann+c74f20a4+"
           "ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
           "Peter Neumann+c74f20a3+"
           "ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
           "PeterNeumann+c74f20a3",
       }) {
    EXPECT_EQ(NoteVerifier::Parse(bad).status().code(),
              absl::StatusCode::kInvalidArgument)
        << bad;
  }
  const std::string good = kVkey;
  for (size_t cut = 0; cut < good.size(); ++cut) {
    EXPECT_FALSE(NoteVerifier::Parse(good.substr(0, cut)).ok()) << cut;
  }
  EXPECT_FALSE(NoteSigner::Parse(kVkey).ok()) << "a verifier key signs nothing";

  EXPECT_FALSE(ParseCheckpointText("Log\n123\nYmFuYW5hcw==\n").ok())
      << "a root of 7 bytes";
  for (const char* bad : {
           "Head\n9944\n",
           "\n9944\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n",
           "Log\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=",
           "Log\nbananas\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n",
           "Log\n-34\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n",
           "Log\n08\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n",
           "Log\n3438945738945739845734895735\n"
           "XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n",
           "Log\n8\nThisIsn'tBase64\n",
           "Log\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\next\n",
       }) {
    EXPECT_EQ(ParseCheckpointText(bad).status().code(),
              absl::StatusCode::kInvalidArgument)
        << bad;
  }
}

TEST(SignedNoteTest, AGeneratedKeySignsWhatItsVerifierOpens) {
  absl::StatusOr<std::pair<std::string, std::string>> keys =
      GenerateNoteKey("ledger.example/complaints");
  ASSERT_TRUE(keys.ok()) << keys.status();
  absl::StatusOr<NoteSigner> signer = NoteSigner::Parse(keys->first);
  absl::StatusOr<NoteVerifier> verifier = NoteVerifier::Parse(keys->second);
  ASSERT_TRUE(signer.ok() && verifier.ok());
  Checkpoint c{"ledger.example/complaints", 42, merkle::LeafHash("x")};
  absl::StatusOr<std::string> opened =
      verifier->Open(*signer->Sign(CheckpointText(c)));
  ASSERT_TRUE(opened.ok()) << opened.status();
  absl::StatusOr<Checkpoint> back = ParseCheckpointText(*opened);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->size, 42u);
  EXPECT_EQ(back->root, c.root);
  EXPECT_FALSE(GenerateNoteKey("has space").ok());
  EXPECT_FALSE(GenerateNoteKey("").ok());
}

}  // namespace
}  // namespace ledger

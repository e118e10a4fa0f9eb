// swift-tools-version: 6.2
import PackageDescription

let package = Package(
  name: "tuneprep",
  products: [
    .executable(name: "tuneprep", targets: ["tuneprep"])
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    // SHA-256 for split's manifest: BoringSSL's, which uses the CPU's SHA extensions.
    .package(url: "https://github.com/apple/swift-crypto", .upToNextMinor(from: "3.12.3")),
  ],
  targets: [
    // libxml2's streaming reader for `tuneprep import` of XML (Debian: libxml2-dev).
    .systemLibrary(name: "CLibXML2", pkgConfig: "libxml-2.0", providers: [.apt(["libxml2-dev"])]),
    // System calls that Swift's Glibc module does not export (`fallocate`).
    .target(name: "CSystemShims"),
    .target(
      name: "TunePrep",
      dependencies: [
        "CLibXML2", "CSystemShims", .product(name: "Crypto", package: "swift-crypto"),
      ]
    ),
    .executableTarget(
      name: "tuneprep",
      dependencies: [
        "TunePrep",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]
    ),
    .testTarget(name: "TunePrepTests", dependencies: ["TunePrep"], exclude: ["Fixtures"]),
    .testTarget(name: "TunePrepCLITests", dependencies: ["tuneprep"], exclude: ["Fixtures"]),
  ],
  swiftLanguageModes: [.v6]
)

for target in package.targets where target.type != .system && target.name != "CSystemShims" {
  var settings = target.swiftSettings ?? []
  settings.append(contentsOf: [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
    .enableUpcomingFeature("MemberImportVisibility"),
  ])
  target.swiftSettings = settings
}

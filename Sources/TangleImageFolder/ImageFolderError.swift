/// Why an image folder could not be loaded at all (single bad files are skipped, not thrown).
public enum ImageFolderError: Error, Sendable, CustomStringConvertible, Equatable {
    /// The folder does not exist or cannot be listed.
    case cannotList(String, String)
    /// The folder has no class subfolders.
    case noClasses(String)
    /// No file in any class folder could be used; `skipped` files were refused.
    case noImages(String, skipped: Int)

    /// What went wrong and what to do.
    public var description: String {
        switch self {
        case .cannotList(let path, let why):
            "cannot list \(path) (\(why)): check that it exists and is a readable folder"
        case .noClasses(let path):
            "\(path) has no class folders: put the images of each class in DIR/<class name>/"
        case .noImages(let path, let skipped):
            "no usable image in \(path) (\(skipped) files skipped): add PNG or JPEG files under DIR/<class name>/"
        }
    }
}

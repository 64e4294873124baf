import ZooFoundation

extension ZooError {
    /// A data file that cannot be opened or read (missing, a folder, no permission, an I/O error).
    public static func unreadable(_ path: String) -> ZooError {
        ZooError("cannot read file", place: path, hint: "check that the file exists and is readable")
    }
}

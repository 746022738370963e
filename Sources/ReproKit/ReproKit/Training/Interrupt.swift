import Foundation

/// Ctrl-C during training: the first SIGINT sets a flag that the trainer reads after each
/// step (it then saves a checkpoint and stops); a second one exits at once.
public enum Interrupt {
    nonisolated(unsafe) private static var flag: sig_atomic_t = 0

    /// True once Ctrl-C was pressed since `install()`.
    public static var requested: Bool { flag != 0 }

    /// Installs the handler.
    public static func install() {
        flag = 0
        signal(SIGINT) { _ in
            if Interrupt.flag != 0 { _exit(130) }
            Interrupt.flag = 1
        }
    }

    /// Restores the default handler.
    public static func uninstall() {
        signal(SIGINT, SIG_DFL)
        flag = 0
    }

    /// For tests: behave as if Ctrl-C had been pressed.
    public static func simulate() { flag = 1 }
}

//! The todo service binary; see the `todo_api` library.

fn main() -> std::process::ExitCode {
    todo_api::main()
}

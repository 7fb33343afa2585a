//! `cargo run --example todo_api`: the todo web service of
//! `examples/todo_api`, on port 7860, with nothing configured.

fn main() -> std::process::ExitCode {
    todo_api::main()
}

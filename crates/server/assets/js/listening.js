// Listening: saved queries with live preview and back-test counts; routing rules with their tests.
export async function renderListening(main) { main.textContent = "Listening is being built."; }

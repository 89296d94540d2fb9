// fedsim command line (placeholder until the CLI lands in this issue).
int main() { return 0; }

"""What every stage shares: safe input reads (inputs), located documents (document), the
limits on hostile input (limits), secret masking (secrets), signal handling (signals), the
files that ship with ccrgen (resources) and colour on the terminal (console)."""

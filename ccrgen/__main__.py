from ccrgen.cli import main

main()

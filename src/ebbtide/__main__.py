from ebbtide.cli import main

main()

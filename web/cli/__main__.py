from web.cli.main import main

main()

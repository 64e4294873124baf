import ZooCLI
ZooCommand.main()

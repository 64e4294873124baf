import ZooCLI

ZooCommand.runFromCommandLine()

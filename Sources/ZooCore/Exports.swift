// Errors, settings values and formatting come with ZooCore, so its users need not import the foundation too.
@_exported import ZooFoundation

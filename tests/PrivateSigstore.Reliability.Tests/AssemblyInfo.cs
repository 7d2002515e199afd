// One service under load at a time: each test's figures are its own, and two cores are not shared between kill loops.
[assembly: CollectionBehavior(CollectionBehavior.CollectionPerAssembly)]

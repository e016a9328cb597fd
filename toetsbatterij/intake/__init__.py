"""Central intake and placement (issue 17): the intake interview, the placement test's level,
the routing advice as data, and the referral to a course, linked to the person's trajectory."""

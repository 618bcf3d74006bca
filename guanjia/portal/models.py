"""The portal keeps no records of its own: it publishes what the domain apps mark public
(`projects.Project.public`, `policies.Policy.public`, the parks' available plots and
buildings) and turns an enquiry into a lead of `guanjia.leads`."""

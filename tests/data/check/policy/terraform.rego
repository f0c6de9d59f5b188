package terraform

deny contains msg if {
	some rc in input.resource_changes
	rc.type == "aws_s3_bucket_acl"
	rc.change.after.acl == "public-read"
	msg := sprintf("%s makes a bucket public", [rc.address])
}

"""Our tables as Django sees them (managed = False): the columns the lists show."""
from django.db import models

STAGES = [("pending", "待处理"), ("processing", "处理中"), ("to_evaluate", "待评价"), ("closed", "已办结"),
          ("revoked", "已撤销")]
STAFF_STATUS = [("active", "在职"), ("left", "离职")]
ACTIONS = [(a, a) for a in ("create", "update", "delete", "login", "login_failed", "logout", "locked", "unlocked",
                            "export", "import", "view_pii", "password_change", "download", "helpdesk_lookup",
                            "helpdesk_resend")]


class Region(models.Model):
    code = models.CharField(max_length=12, primary_key=True)
    name = models.CharField(max_length=64)
    level = models.CharField(max_length=16)

    class Meta:
        managed = False
        db_table = "anju_region"

    def __str__(self):
        return self.name


class Organization(models.Model):
    name = models.CharField(max_length=128)
    region_code = models.CharField(max_length=12)
    enterprise_type = models.CharField(max_length=32, null=True)

    class Meta:
        managed = False
        db_table = "anju_org"

    def __str__(self):
        return self.name


class PropertyArea(models.Model):
    name = models.CharField(max_length=128)
    region_code = models.CharField(max_length=12)

    class Meta:
        managed = False
        db_table = "anju_property_area"

    def __str__(self):
        return self.name


class Complaint(models.Model):
    number = models.CharField(max_length=24)
    area = models.ForeignKey(PropertyArea, models.DO_NOTHING, related_name="+")
    org = models.ForeignKey(Organization, models.DO_NOTHING, null=True, related_name="+")
    district = models.ForeignKey(Region, models.DO_NOTHING, db_column="district_code", related_name="+",
                                 limit_choices_to={"level": "district"})
    street = models.ForeignKey(Region, models.DO_NOTHING, db_column="street_code", null=True, related_name="+",
                               limit_choices_to={"level": "street"})
    region_code = models.CharField(max_length=12)
    complainant_id = models.IntegerField(null=True)
    name = models.CharField(max_length=64)
    mobile = models.CharField(max_length=11)
    id_number = models.CharField(max_length=18)
    content = models.TextField()
    status = models.CharField(max_length=16)
    stage = models.CharField(max_length=16, choices=STAGES)
    submitted_at = models.DateTimeField()
    due_at = models.DateTimeField()
    escalated_at = models.DateTimeField(null=True)

    class Meta:
        managed = False
        db_table = "anju_complaint"


class User(models.Model):
    username = models.CharField(max_length=128)

    class Meta:
        managed = False
        db_table = "ab_user"


class Staff(models.Model):
    org = models.ForeignKey(Organization, models.DO_NOTHING, related_name="+")
    user = models.ForeignKey(User, models.DO_NOTHING, null=True, related_name="+")
    name = models.CharField(max_length=64)
    mobile = models.CharField(max_length=20)
    id_number = models.CharField(max_length=32)
    post = models.CharField(max_length=32)
    status = models.CharField(max_length=16, choices=STAFF_STATUS)
    left_on = models.DateField(null=True)
    areas = models.ManyToManyField(PropertyArea, through="StaffArea", related_name="+")

    class Meta:
        managed = False
        db_table = "anju_staff"


class StaffArea(models.Model):
    staff = models.ForeignKey(Staff, models.DO_NOTHING, primary_key=True, related_name="+")
    area = models.ForeignKey(PropertyArea, models.DO_NOTHING, related_name="+")

    class Meta:
        managed = False
        db_table = "anju_staff_area"


class AuditLog(models.Model):
    ts = models.DateTimeField()
    username = models.CharField(max_length=128, null=True)
    ip = models.CharField(max_length=45, null=True)
    action = models.CharField(max_length=32, choices=ACTIONS)
    entity = models.CharField(max_length=64, null=True)
    entity_id = models.CharField(max_length=64, null=True)
    summary = models.CharField(max_length=500, null=True)

    class Meta:
        managed = False
        db_table = "anju_audit_log"
